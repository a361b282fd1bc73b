"""Data source URLs: `duckdb:///absolute/path.duckdb`, `postgresql://user:pass@host:5432/db?sslmode=…`,
`clickhouse://user:pass@host:8123/db` and `clickhouses://…` (HTTPS). Parsed into parts Burrow passes to the
drivers one by one, so nothing in a URL (a `host=` parameter, a socket path) can redirect a connection."""

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from burrow.queries.errors import SourceRefused

MASK = "********"
SCHEMES = {
    "postgresql": {"postgresql": False, "postgres": False},
    "clickhouse": {"clickhouse": False, "clickhouses": True},
    "duckdb": {"duckdb": False},
}
DEFAULT_PORTS = {"postgresql": 5432, "clickhouse": 8123}
SECURE_CLICKHOUSE_PORT = 8443
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


@dataclass(frozen=True)
class SourceURL:
    kind: str
    scheme: str
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = ""
    database: str = ""
    secure: bool = False
    options: dict[str, str] = field(default_factory=dict)
    path: str = ""  # duckdb only

    def masked(self) -> str:
        """The URL with its password replaced by asterisks: what every read shows."""
        return self.render(MASK if self.password else "")

    def render(self, password: str | None = None) -> str:
        if self.kind == "duckdb":
            return f"duckdb://{self.path}"
        password = self.password if password is None else password
        auth = quote(self.username, safe="") + (f":{quote(password, safe='*')}" if password else "")
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = "&".join(f"{k}={v}" for k, v in self.options.items())
        return f"{self.scheme}://{auth}{'@' if auth else ''}{host}:{self.port}/{self.database}" + (
            f"?{query}" if query else ""
        )

    def with_password(self, password: str) -> "SourceURL":
        return SourceURL(**{**self.__dict__, "password": password})


def parse(kind: str, url: str) -> SourceURL:
    """The parts of `url` for a source of `kind`; SourceRefused saying what is wrong otherwise."""
    if not isinstance(url, str) or any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise SourceRefused("Invalid URL: it contains whitespace or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SourceRefused("Invalid URL.") from None
    schemes = SCHEMES.get(kind, {})
    if parts.scheme not in schemes:
        expected = " or ".join(f"{scheme}://" for scheme in schemes)
        raise SourceRefused(f"A {kind} source's URL starts with {expected}.")
    if kind == "duckdb":
        return _duckdb(parts)
    if not parts.hostname:
        raise SourceRefused("The URL names no host.")
    secure = schemes[parts.scheme]
    database = unquote(parts.path.lstrip("/"))
    if "/" in database:
        raise SourceRefused("The URL's path is the database name, one word.")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    allowed = {"sslmode"} if kind == "postgresql" else set()
    if set(options) - allowed:
        raise SourceRefused(f"Unsupported URL parameter: {sorted(set(options) - allowed)[0]}.")
    if options.get("sslmode", "prefer") not in SSL_MODES:
        raise SourceRefused(f"sslmode must be one of {', '.join(SSL_MODES)}.")
    default_port = SECURE_CLICKHOUSE_PORT if secure else DEFAULT_PORTS[kind]
    return SourceURL(
        kind=kind,
        scheme=parts.scheme,
        host=parts.hostname.lower(),
        port=port or default_port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=database or ("postgres" if kind == "postgresql" else "default"),
        secure=secure,
        options=options,
    )


def _duckdb(parts) -> SourceURL:
    if parts.netloc or parts.query or not parts.path.startswith("/"):
        raise SourceRefused("A duckdb URL is duckdb:///absolute/path.duckdb.")
    path = PurePosixPath(unquote(parts.path))
    if ".." in path.parts:
        raise SourceRefused("A duckdb path may not contain '..'.")
    return SourceURL(kind="duckdb", scheme="duckdb", path=str(path))
