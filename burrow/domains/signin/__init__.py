"""Sign-in for people: password login with SSO enforcement, sessions, the current user."""
