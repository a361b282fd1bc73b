"""Data sources: creating, changing and removing them, and finding where an environment's query runs (the
chosen source, the environment's default, or its embedded DuckDB warehouse)."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction

from burrow.core.models import Team, User
from burrow.core.prepared import PreparedQuery
from burrow.queries import hosts, sourceurl
from burrow.queries.errors import QueryError, SourceRefused
from burrow.queries.models import DataSource
from burrow.queries.sourceurl import MASK, SourceURL

EMBEDDED_NAME = "Embedded warehouse"
NO_API_FILES = (
    "API clients cannot name a DuckDB file: a duckdb source added over the API reads the environment's "
    "embedded warehouse (leave url empty). Operators add other DuckDB files with `burrow sources add`."
)


def embedded_path(team_id: int) -> Path:
    """The environment's own warehouse; one environment never reads another's."""
    return Path(settings.DATA_DIR) / "warehouses" / f"{int(team_id)}.duckdb"


@dataclass(frozen=True)
class Target:
    """Where one query runs: `identity` keys the cache (the source, or the embedded warehouse of a team)."""

    kind: str
    identity: str
    url: SourceURL | None = None
    path: Path | None = None


def target_of(source: DataSource | None, team: Team) -> Target:
    if source is None or (source.kind == DataSource.Kind.DUCKDB and not source.url):
        return Target("duckdb", f"embedded:{team.id}", path=embedded_path(team.id))
    parsed = sourceurl.parse(source.kind, source.url)
    if source.kind == DataSource.Kind.DUCKDB:
        return Target("duckdb", str(source.id), path=Path(parsed.path))
    return Target(source.kind, str(source.id), url=parsed)


# Every query and every computed tile asks for it (burrow/core/prepared.py).
_DEFAULT_SOURCE = PreparedQuery(
    lambda p: DataSource.objects.filter(team_id=p.team, is_default=True).order_by("pk")[:1], team=int
)


def target_for(team: Team, source_id=None) -> Target:
    """The chosen source of `team` (QueryError when it has none by that id), else its default."""
    if source_id is not None:
        source = DataSource.objects.filter(team=team, id=source_id).first()
        if source is None:
            raise QueryError("Data source not found in this environment.", "data_source_not_found")
        return target_of(source, team)
    return target_of(_DEFAULT_SOURCE.first(team=team.id), team)


def checked_url(kind: str, url: str, *, previous: DataSource | None = None, from_cli: bool = False) -> str:
    """The URL to store for a source of `kind`, after the rules: only the CLI names DuckDB files; hosts within
    BURROW_DATA_SOURCE_HOSTS; never Burrow's own database. A password sent back masked keeps the stored one."""
    url = (url or "").strip()
    if kind == DataSource.Kind.DUCKDB:
        if not url:
            return ""
        if not from_cli:
            raise SourceRefused(NO_API_FILES)
        return sourceurl.parse(kind, url).render()
    if not url:
        raise SourceRefused(f"A {kind} source needs a url.")
    parsed = sourceurl.parse(kind, url)
    if parsed.password == MASK and previous is not None and previous.kind == kind and previous.url:
        parsed = parsed.with_password(sourceurl.parse(kind, previous.url).password)
    address = hosts.allowed_address(parsed.host)
    _refuse_own_database(parsed, address)
    return parsed.render()


def _refuse_own_database(parsed: SourceURL, address) -> None:
    own = connections["default"].settings_dict
    if parsed.kind != "postgresql" or "postgresql" not in own["ENGINE"]:
        return
    own_addresses = hosts.addresses_of(own.get("HOST") or "localhost")
    same_host = address in own_addresses or (
        address.is_loopback and any(a.is_loopback for a in own_addresses)
    )
    if same_host and int(own.get("PORT") or 5432) == parsed.port and own.get("NAME") == parsed.database:
        raise SourceRefused("Burrow's own database cannot be a data source.")


@transaction.atomic
def create(
    team: Team,
    user: User | None,
    *,
    name: str,
    kind: str,
    url: str = "",
    is_default: bool = False,
    from_cli: bool = False,
) -> DataSource:
    stored = checked_url(kind, url, from_cli=from_cli)
    if is_default:
        DataSource.objects.filter(team=team, is_default=True).update(is_default=False)
    return DataSource.objects.create(
        team=team,
        name=name or (EMBEDDED_NAME if kind == "duckdb" and not stored else kind),
        kind=kind,
        secret={"url": stored},
        is_default=is_default,
        created_by=user,
    )


@transaction.atomic
def update(source: DataSource, changes: dict) -> DataSource:
    """Applies `name`, `url` and `is_default` (the kind stays what it was created as)."""
    fields = []
    if "url" in changes:
        source.secret = {"url": checked_url(source.kind, changes["url"], previous=source)}
        fields.append("secret")
    if "name" in changes:
        source.name = changes["name"]
        fields.append("name")
    if "is_default" in changes:
        if changes["is_default"]:
            DataSource.objects.filter(team=source.team, is_default=True).exclude(id=source.id).update(
                is_default=False
            )
        source.is_default = changes["is_default"]
        fields.append("is_default")
    if fields:
        source.save(update_fields=fields)
    return source


def masked_url(source: DataSource) -> str:
    if source.kind == DataSource.Kind.DUCKDB and not source.url:
        return ""
    try:
        return sourceurl.parse(source.kind, source.url).masked()
    except QueryError:
        return ""
