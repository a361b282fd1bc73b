"""`burrow sources add | list | test | remove`: an environment's data sources, for operators. Unlike API
clients, the operator may add any DuckDB file (`--url duckdb:///absolute/path.duckdb`)."""

import argparse

from burrow.commands import fail

KINDS_BY_SCHEME = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "clickhouse": "clickhouse",
    "clickhouses": "clickhouse",
    "duckdb": "duckdb",
}


def add_parsers(commands: argparse._SubParsersAction) -> None:
    sources = commands.add_parser("sources", help="manage an environment's data sources")
    sub = sources.add_subparsers(dest="sources_command", required=True)
    add = sub.add_parser("add", help="add a data source (postgresql://, clickhouse(s)://, duckdb:///path)")
    add.add_argument("--environment", required=True, metavar="ID")
    add.add_argument("--name", default="")
    add.add_argument("--url", required=True)
    add.add_argument("--default", action="store_true", help="the environment's default source from now on")
    listing = sub.add_parser("list", help="list an environment's data sources (passwords masked)")
    listing.add_argument("--environment", required=True, metavar="ID")
    for name, what in (("test", "connect and run a trivial query"), ("remove", "remove a data source")):
        command = sub.add_parser(name, help=what)
        command.add_argument("--environment", required=True, metavar="ID")
        command.add_argument("source", help="the source's id or name")
    sources.set_defaults(func=cmd_sources)


def environment(value: str):
    """The environment of `/api/environments/:id/`; a project id means its default environment, as in the API."""
    from burrow.core.ids import parse_id
    from burrow.core.models import Team

    team_id = parse_id(value)
    if team_id is None:
        return None
    teams = Team.objects.select_related("project")
    return teams.filter(id=team_id).first() or teams.filter(project_id=team_id).order_by("id").first()


def cmd_sources(args: argparse.Namespace) -> int:
    from burrow.queries import sources
    from burrow.queries.errors import QueryError
    from burrow.queries.models import DataSource
    from burrow.queries.runners import runner

    team = environment(args.environment)
    if team is None:
        return fail(f"no environment {args.environment}; `burrow users list` shows yours")
    if args.sources_command == "add":
        kind = KINDS_BY_SCHEME.get(args.url.partition(":")[0])
        if kind is None:
            return fail("--url starts with postgresql://, clickhouse://, clickhouses:// or duckdb:///")
        try:
            source = sources.create(
                team, None, name=args.name, kind=kind, url=args.url, is_default=args.default, from_cli=True
            )
        except QueryError as error:
            return fail(error.message)
        print(f"burrow: added {source.kind} source {source.id} ({source.name})")
        return 0
    if args.sources_command == "list":
        for source in DataSource.objects.filter(team=team).order_by("created_at"):
            marker = "  default" if source.is_default else ""
            print(
                f"{source.id}  {source.kind:10}  {source.name!r}  {sources.masked_url(source) or '(embedded)'}{marker}"
            )
        if not DataSource.objects.filter(team=team, is_default=True).exists():
            print(f"(default: the embedded warehouse {sources.embedded_path(team.id)})")
        return 0
    source = _named(DataSource.objects.filter(team=team), args.source)
    if source is None:
        return fail(f"no data source {args.source!r} in environment {team.id}; see `burrow sources list`")
    if args.sources_command == "remove":
        source.delete()
        print(f"burrow: removed data source {source.id}")
        return 0
    try:
        target = sources.target_of(source, team)
        print(f"ok: {runner(target.kind).version(target, 10)}")
    except QueryError as error:
        return fail(error.message)
    return 0


def _named(queryset, value: str):
    from burrow.commands import parse_uuid

    found = parse_uuid(value)
    if found is not None:
        return queryset.filter(id=found).first()
    matches = list(queryset.filter(name=value)[:2])
    return matches[0] if len(matches) == 1 else None
