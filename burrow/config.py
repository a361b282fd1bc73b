"""Reading Burrow's environment variables (the names are part of the public contract)."""

import os
import secrets
from pathlib import Path


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class ConfigError(Exception):
    """A setting's value cannot be used; the message names the variable and what it accepts."""


def env_number(name: str, default: float, *, minimum: float, whole: bool = False) -> float:
    """A numeric setting: a clear error naming the variable instead of a traceback at start-up."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return int(default) if whole else default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{name} must be {kind} of at least {minimum:g}, not {raw!r}")
    return value


def data_dir() -> Path:
    path = Path(os.environ.get("BURROW_DATA_DIR", "./var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """BURROW_SECRET_KEY, else a key generated once and kept in the data dir so restarts keep sessions,
    signed links and encrypted secrets valid."""
    configured = os.environ.get("BURROW_SECRET_KEY")
    if configured:
        return configured
    key_file = directory / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()
