"""The raw baseline for bench/api.py: a minimal WSGI app on psycopg 3 that answers
`GET /api/projects/:id/dashboards/:id/` and `GET /api/projects/:id/dashboards/?limit=&offset=` with the same
SQL Burrow issues (byte for byte: bench/api.py checks it) and the same JSON body (also checked).

It does the same work as Burrow — key lookup by keyed hash, `last_used_at` at most once a minute, scope and
key-scoping checks, team resolution, membership, count, page, prefetched tiles, serialization — with
nothing in between: no framework, no ORM, one persistent connection per thread, client-side binding
(as Django's psycopg backend), autocommit.

Configuration comes from the environment: DATABASE_URL and BURROW_SECRET_KEY."""

import datetime
import hashlib
import hmac
import json
import os
import re
import threading
from urllib.parse import parse_qsl, urlencode

import psycopg

_KEY_SQL = (
    'SELECT "core_personalapikey"."id", "core_personalapikey"."user_id", "core_personalapikey"."label", '
    '"core_personalapikey"."secure_value", "core_personalapikey"."mask_value", "core_personalapikey"."scopes", '
    '"core_personalapikey"."scoped_teams", "core_personalapikey"."scoped_organizations", '
    '"core_personalapikey"."created_at", "core_personalapikey"."last_used_at", "core_user"."id", '
    '"core_user"."password", "core_user"."last_login", "core_user"."uuid", "core_user"."distinct_id", '
    '"core_user"."first_name", "core_user"."last_name", "core_user"."email", "core_user"."email_key", '
    '"core_user"."is_email_verified", '
    '"core_user"."hedgehog_config", "core_user"."role_at_organization", "core_user"."is_active", '
    '"core_user"."date_joined", "core_user"."current_team_id", "core_user"."current_organization_id" '
    'FROM "core_personalapikey" INNER JOIN "core_user" ON ("core_personalapikey"."user_id" = "core_user"."id") '
    'WHERE "core_personalapikey"."secure_value" = %s ORDER BY "core_personalapikey"."id" ASC LIMIT 1'
)
_TOUCH_SQL = 'UPDATE "core_personalapikey" SET "last_used_at" = %s WHERE "core_personalapikey"."id" = %s'
_TEAM_SQL = (
    'SELECT "core_team"."id", "core_team"."organization_id", "core_team"."project_id", "core_team"."name", '
    '"core_team"."api_token", "core_team"."created_at", (SELECT U0."level" AS "level" FROM '
    '"core_organizationmembership" U0 WHERE (U0."organization_id" = ("core_team"."organization_id") AND '
    'U0."user_id" = %s) LIMIT 1) AS "member_level", "core_organization"."id", "core_organization"."name", '
    '"core_organization"."created_at", "core_project"."id", "core_project"."organization_id", '
    '"core_project"."name", "core_project"."created_at" FROM "core_team" '
    'INNER JOIN "core_project" ON ("core_team"."project_id" = "core_project"."id") '
    'INNER JOIN "core_organization" ON ("core_team"."organization_id" = "core_organization"."id") '
    'WHERE "core_team"."project_id" = %s ORDER BY "core_team"."id" ASC LIMIT 1'
)
_DASHBOARD_FIELDS = (
    'SELECT "analytics_dashboard"."id", "analytics_dashboard"."team_id", "analytics_dashboard"."name", '
    '"analytics_dashboard"."description", "analytics_dashboard"."deleted", "analytics_dashboard"."created_at", '
    '"analytics_dashboard"."created_by_id"'
)
_USER_COLUMNS = (
    '"core_user"."id", "core_user"."password", "core_user"."last_login", '
    '"core_user"."uuid", "core_user"."distinct_id", "core_user"."first_name", "core_user"."last_name", '
    '"core_user"."email", "core_user"."email_key", "core_user"."is_email_verified", "core_user"."hedgehog_config", '
    '"core_user"."role_at_organization", "core_user"."is_active", "core_user"."date_joined", '
    '"core_user"."current_team_id", "core_user"."current_organization_id"'
)
# retrieve: the dashboard with its creator joined; list: a page of dashboards, then their creators once each
_DASHBOARD_SQL = (
    f'{_DASHBOARD_FIELDS}, {_USER_COLUMNS} FROM "analytics_dashboard" '
    'LEFT OUTER JOIN "core_user" ON ("analytics_dashboard"."created_by_id" = "core_user"."id") '
    'WHERE ("analytics_dashboard"."id" = %s AND "analytics_dashboard"."team_id" = %s) LIMIT 1'
)
_COUNT_SQL = (
    'SELECT COUNT(*) AS "__count" FROM "analytics_dashboard" '
    'WHERE ("analytics_dashboard"."team_id" = %s AND NOT "analytics_dashboard"."deleted")'
)
_PAGE_SQL = _DASHBOARD_FIELDS + (
    ' FROM "analytics_dashboard" WHERE ("analytics_dashboard"."team_id" = %s AND NOT "analytics_dashboard"."deleted") '
    'ORDER BY "analytics_dashboard"."id" DESC LIMIT %s'
)
_USERS_SQL = f'SELECT {_USER_COLUMNS} FROM "core_user" WHERE ("core_user"."id") IN ({{}})'
_TILES_SQL = (
    'SELECT "analytics_dashboardtile"."id" AS "id", "analytics_dashboardtile"."dashboard_id" AS "dashboard_id", '
    '"analytics_dashboardtile"."layouts" AS "layouts", "analytics_dashboardtile"."insight_id" AS "insight__id", '
    '"analytics_insight"."short_id" AS "insight__short_id", "analytics_insight"."name" AS "insight__name", '
    '"analytics_insight"."derived_name" AS "insight__derived_name", '
    '"analytics_insight"."deleted" AS "insight__deleted" FROM "analytics_dashboardtile" '
    'INNER JOIN "analytics_insight" ON ("analytics_dashboardtile"."insight_id" = "analytics_insight"."id") '
    'WHERE (NOT "analytics_dashboardtile"."deleted" AND NOT "analytics_insight"."deleted" AND '
    '"analytics_dashboardtile"."dashboard_id" '
)

_BEARER = re.compile(r"^Bearer\s+(\S.+)$")
_RETRIEVE = re.compile(r"^/api/projects/([^/]+)/dashboards/([^/]+)/$")
_LIST = re.compile(r"^/api/projects/([^/]+)/dashboards/$")
_HEDGEHOG_KEYS = ("use_as_profile", "color", "accessories", "skin")
_PEPPER = hashlib.sha256(
    b"burrow-personal-api-key:" + os.environ.get("BURROW_SECRET_KEY", "").encode()
).digest()
_local = threading.local()


class HTTPError(Exception):
    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def connect() -> psycopg.Connection:
    return psycopg.connect(
        os.environ["DATABASE_URL"],
        autocommit=True,
        cursor_factory=psycopg.ClientCursor,
        options="-c TimeZone=UTC",
    )


def _connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = connect()
    return conn


def _datetime(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(datetime.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _authenticate(cur, auth_header: str) -> tuple:
    match = _BEARER.match(auth_header)
    if not match:
        raise HTTPError("401 Unauthorized", "Authentication credentials were not provided.")
    secure_value = (
        "hmac-sha256$" + hmac.new(_PEPPER, match.group(1).strip().encode(), hashlib.sha256).hexdigest()
    )
    cur.execute(_KEY_SQL, (secure_value,))
    key = cur.fetchone()
    if key is None or not key[22] or not hmac.compare_digest(key[3], secure_value):
        raise HTTPError(
            "401 Unauthorized", "Personal API key found in request Authorization header is invalid."
        )
    now = datetime.datetime.now(datetime.UTC)
    if key[9] is None or (now - key[9]).total_seconds() >= 60:
        cur.execute(_TOUCH_SQL, (now, key[0]))
    scopes = key[5] or []
    if "*" not in scopes and "dashboard:read" not in scopes and "dashboard:write" not in scopes:
        raise HTTPError("403 Forbidden", "API key missing required scope 'dashboard:read'")
    return key


def _tenant(cur, key: tuple, project_id: str) -> tuple:
    try:
        team_id = int(project_id)
    except ValueError:
        raise HTTPError("404 Not Found", "Project not found.") from None
    cur.execute(_TEAM_SQL, (key[10], team_id))
    team = cur.fetchone()
    if team is None:
        raise HTTPError("404 Not Found", "Project not found.")
    if key[6] and team[0] not in key[6]:
        raise HTTPError(
            "403 Forbidden", f"API key does not have access to the requested project: ID {team[0]}."
        )
    if key[7] and str(team[1]) not in key[7]:
        raise HTTPError("403 Forbidden", "API key does not have access to the requested organization.")
    if team[6] is None:  # the caller's level in the organization
        raise HTTPError("403 Forbidden", "You don't have access to the project.")
    return team


def _tiles_by_dashboard(cur, dashboard_ids: list[int]) -> dict[int, list[dict]]:
    """Live tiles only (the SQL leaves out deleted tiles and insights), in reading order."""
    by_dashboard: dict[int, list] = {d: [] for d in dashboard_ids}
    if not dashboard_ids:
        return {}
    if len(dashboard_ids) == 1:
        cur.execute(_TILES_SQL + "= %s)", dashboard_ids)
    else:
        cur.execute(_TILES_SQL + "IN ({}))".format(", ".join(["%s"] * len(dashboard_ids))), dashboard_ids)
    for row in cur.fetchall():
        by_dashboard[row[1]].append(row)
    result = {}
    for dashboard_id, rows in by_dashboard.items():
        rows.sort(key=_layout_position)
        result[dashboard_id] = [
            {
                "id": r[0],
                "insight": {
                    "id": r[3],
                    "short_id": r[4],
                    "name": r[5],
                    "derived_name": r[6],
                    "deleted": r[7],
                },
                "layouts": r[2],
            }
            for r in rows
        ]
    return result


def _layout_position(row: tuple) -> tuple[int, int]:
    small = (row[2] or {}).get("sm") or {}
    return (small.get("y", 100), small.get("x", 100))


def _dashboard(row: tuple, creator: tuple | None, tiles: list[dict]) -> dict:
    created_by = None
    if creator is not None:
        hedgehog = creator[10]
        created_by = {
            "id": creator[0],
            "uuid": str(creator[3]),
            "distinct_id": creator[4],
            "first_name": creator[5],
            "last_name": creator[6],
            "email": creator[7],
            "is_email_verified": creator[9],
            "hedgehog_config": {k: hedgehog.get(k) for k in _HEDGEHOG_KEYS} if hedgehog else None,
            "role_at_organization": creator[11],
        }
    return {
        "id": row[0],
        "name": row[2],
        "description": row[3],
        "deleted": row[4],
        "created_at": _datetime(row[5]),
        "created_by": created_by,
        "tiles": tiles,
    }


def _creators(cur, rows: list[tuple]) -> dict[int, tuple]:
    ids = list(dict.fromkeys(r[6] for r in rows if r[6] is not None))
    if not ids:
        return {}
    cur.execute(_USERS_SQL.format(", ".join(["(%s)"] * len(ids))), ids)
    return {user[0]: user for user in cur.fetchall()}


def _page_link(base: str, query: dict[str, str], limit: int, offset: int) -> str:
    query = {**query, "limit": str(limit), "offset": str(offset)}
    if offset <= 0:
        del query["offset"]
    return base + "?" + urlencode(sorted(query.items()), doseq=True)


def handle(conn, path: str, query_string: str, auth_header: str, host: str, scheme: str = "http") -> dict:
    with conn.cursor() as cur:
        key = _authenticate(cur, auth_header)
        match = _RETRIEVE.match(path)
        if match:
            team = _tenant(cur, key, match.group(1))
            try:
                dashboard_id = int(match.group(2))
            except ValueError:
                raise HTTPError("404 Not Found", "Not found.") from None
            cur.execute(_DASHBOARD_SQL, (dashboard_id, team[0]))
            row = cur.fetchone()
            if row is None:
                raise HTTPError("404 Not Found", "Not found.")
            creator = row[7:] if row[7] is not None else None
            return _dashboard(row, creator, _tiles_by_dashboard(cur, [row[0]])[row[0]])
        match = _LIST.match(path)
        if not match:
            raise HTTPError("404 Not Found", "Not found.")
        team = _tenant(cur, key, match.group(1))
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        limit = int(query.get("limit", 100))
        cur.execute(_COUNT_SQL, (team[0],))
        count = cur.fetchone()[0]
        cur.execute(_PAGE_SQL, (team[0], limit))
        rows = cur.fetchall()
        creators = _creators(cur, rows)
        tiles = _tiles_by_dashboard(cur, [r[0] for r in rows])
        base = f"{scheme}://{host}{path}"
        return {
            "count": count,
            "next": _page_link(base, query, limit, limit) if limit < count else None,
            "previous": None,
            "results": [_dashboard(r, creators.get(r[6]), tiles[r[0]]) for r in rows],
        }


def render(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def application(environ, start_response):
    if environ["REQUEST_METHOD"] != "GET":
        start_response("405 Method Not Allowed", [("Content-Length", "0")])
        return [b""]
    try:
        body = render(
            handle(
                _connection(),
                environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""),
                environ.get("HTTP_AUTHORIZATION", ""),
                environ.get("HTTP_HOST") or environ["SERVER_NAME"],
                environ.get("wsgi.url_scheme", "http"),
            )
        )
        status = "200 OK"
    except HTTPError as exc:
        body = render({"detail": exc.detail})
        status = exc.status
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
