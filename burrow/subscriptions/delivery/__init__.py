"""The delivery engine: channels (email, Slack, webhook), report content, and how deliveries are run."""
