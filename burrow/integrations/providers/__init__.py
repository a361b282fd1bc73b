"""One module per provider (Slack, Linear, …): the HTTP calls Burrow makes to it, with timeouts."""
