"""Reading Burrow's environment variables (the names are part of the public contract).

Reading settings writes nothing: the data directory and its secret key file are made by
`prepare_data_dir`, which only the commands that set up an installation call (`burrow migrate`,
`burrow serve`, `burrow bootstrap`). Everything in the data dir is for Burrow's user alone (0700/0600): the
`burrow` command starts with `PRIVATE_UMASK`, and files written there are opened with `private_opener`."""

import ipaddress
import os
import re
import secrets
import stat
from pathlib import Path

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
SECRET_KEY_FILE = "secret_key"
# Whatever a Burrow process creates (the SQLite file and its journal, collected static files, sockets) is for
# its own user only: the data dir holds the secret key, session keys, share tokens and mail.
PRIVATE_UMASK = 0o077
MISSING_SECRET_KEY = (
    "there is no secret key yet: run `burrow migrate` first (it creates $BURROW_DATA_DIR/secret_key) "
    "or set BURROW_SECRET_KEY"
)


class ConfigError(Exception):
    """A setting's value cannot be used; the message names the variable and what it accepts."""


def env_bool(name: str, default: bool = False) -> bool:
    """Every boolean setting accepts the same words; anything else is an error rather than a silent no."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be one of true/false, yes/no, on/off, 1/0, not {raw!r}")


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


_RATE = re.compile(r"\d+/[smhd][a-z]*")


def env_rate(name: str) -> str:
    """A rate limit: "" (off) when unset or a false word, "on" for PostHog's own rate, else `N/period`."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw or raw in FALSE_WORDS:
        return ""
    if raw in TRUE_WORDS:
        return "on"
    if not _RATE.fullmatch(raw):
        raise ConfigError(f"{name} must be on, off or a rate such as 100/minute, not {raw!r}")
    return raw


def env_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated IP addresses and CIDR networks (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`); () when
    unset. A single address is a network of one."""
    networks = []
    for item in os.environ.get(name, "").split(","):
        if not item.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"{name} must be comma-separated IP addresses or networks such as 10.0.0.0/8, "
                f"not {item.strip()!r}"
            ) from None
    return tuple(networks)


def data_dir() -> Path:
    """Where the embedded database, the generated secret key and the mail outbox live; not created here."""
    return Path(os.environ.get("BURROW_DATA_DIR", "./var")).resolve()


def secret_key(directory: Path) -> str:
    """BURROW_SECRET_KEY, else the key `prepare_data_dir` kept in the data dir so restarts keep signed
    links, API-key hashes and encrypted secrets valid; "" when there is neither."""
    configured = os.environ.get("BURROW_SECRET_KEY", "").strip()
    if configured:
        return configured
    try:
        return (directory / SECRET_KEY_FILE).read_text().strip()
    except FileNotFoundError:
        return ""


DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "pgsql")


def database_settings(url: str) -> dict:
    """Django's database settings for DATABASE_URL: SQLite or PostgreSQL, else a ConfigError that never
    repeats the URL (it may hold a password)."""
    import dj_database_url

    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            "DATABASE_URL must be sqlite:///path/to/file or postgres://user:password@host:5432/database"
            + (f", not a {scheme}:// URL" if scheme else "")
        )
    return dj_database_url.parse(url, conn_max_age=60)


def prepare_data_dir(directory: Path, *, create_key: bool) -> list[str]:
    """Creates the data dir and, when `create_key`, a secret key file in it unless one exists; returns what
    it created. The key is written under another name and linked into place, so two commands starting at
    once agree on one key and neither reads a half-written file."""
    created = [] if directory.is_dir() else [f"the data directory {directory}"]
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    make_private(directory)
    key_file = directory / SECRET_KEY_FILE
    if not create_key or key_file.exists():
        return created
    draft = directory / f".{SECRET_KEY_FILE}.{os.getpid()}"
    with open(draft, "w", opener=private_opener) as handle:
        handle.write(secrets.token_urlsafe(50))
    try:
        os.link(draft, key_file)
        created.append(f"a secret key in {key_file} (keep it: API keys, links and secrets depend on it)")
    except FileExistsError:
        pass  # another command made it first: keep theirs
    finally:
        draft.unlink()
    return created


def private_opener(path: str | os.PathLike, flags: int) -> int:
    """For `open(..., opener=private_opener)`: a new file is 0600 whatever the process umask."""
    return os.open(path, flags, 0o600)


def make_private(directory: Path) -> None:
    """Takes group and other users' access away from `directory` and everything in it that this user owns, as
    a data dir made by an older Burrow (0755, files 0644) needs. Symbolic links and their targets are left
    alone."""
    uid = os.getuid()
    paths = [str(directory)]
    for root, dirs, files in os.walk(directory):  # symbolic links to directories are listed, not entered
        paths += [os.path.join(root, name) for name in dirs + files]
    for path in paths:
        info = os.lstat(path)
        if not stat.S_ISLNK(info.st_mode) and info.st_uid == uid and info.st_mode & 0o077:
            os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
