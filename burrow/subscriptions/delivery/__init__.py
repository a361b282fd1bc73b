"""The delivery engine: channels (one module each in `channels/`, found by `registry.py`), report content,
and how deliveries are run (`engine.py`) and handed out (`dispatch.py`)."""
