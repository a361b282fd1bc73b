"""The delivery channels, one module each: every module here defines `CHANNEL`, a `base.Channel` for its
target type, and delivery/registry.py finds it. A channel module imports nothing of this app above
`delivery/base.py`."""
