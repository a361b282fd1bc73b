"""Where sign-in keeps its failed-attempt windows: a Django app of its own (label `signin`) so that sign-in's
table and migrations stay apart from the domains app's."""
