"""Burrow: a self-hostable server speaking PostHog's platform REST API."""
