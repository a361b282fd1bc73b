"""ClickHouse's HTTP interface in front of chDB (the ClickHouse engine in-process), so clickhouse-connect
talks to it exactly as to a server: the query from the URL and the body, settings from the URL parameters,
HTTP basic or X-ClickHouse-User/Key authentication, errors as ClickHouse sends them.

    def test_x(clickhouse_server):
        clickhouse_server.execute("CREATE TABLE t (x Int32) ENGINE = MergeTree ORDER BY x")
        url = clickhouse_server.url()            # clickhouse://reader:reader-pass@127.0.0.1:<port>/default

Debian's clickhouse-server (18.16) is too old for clickhouse-connect; chDB runs the current engine."""

import base64
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

USER, PASSWORD = "reader", "reader-pass"
# URL parameters that are not settings (ClickHouse's HTTP handler reads them itself).
NOT_SETTINGS = {"query", "database", "default_format", "user", "password", "query_id", "session_id",
                "session_timeout", "session_check", "compress", "decompress", "quota_key", "buffer_size",
                "wait_end_of_query", "role"}  # fmt: skip
_FORMAT = re.compile(r"\s+FORMAT\s+(\w+)\s*;?\s*$", re.I)
_ERROR = re.compile(r"Code: (\d+)\.")


class FakeClickHouse:
    def __init__(self, data_path: str) -> None:
        from chdb import session

        self.session = session.Session(data_path)
        self.lock = threading.Lock()
        self.queries: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, user: str = USER, password: str = PASSWORD, database: str = "default") -> str:
        return f"clickhouse://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, fmt: str = "TabSeparated") -> bytes:
        """Runs `sql` directly on the engine (set-up; no read-only limits)."""
        with self.lock:
            return self.session.query(sql, fmt).bytes()

    def run(self, sql: str, settings: dict[str, str]) -> tuple[bytes, str]:
        found = _FORMAT.search(sql)
        fmt = found.group(1) if found else "TabSeparated"
        body = sql[: found.start()] if found else sql
        if settings:
            # readonly last, as the server applies URL settings before it starts forbidding changes
            ordered = sorted(settings.items(), key=lambda item: item[0] == "readonly")
            body += " SETTINGS " + ", ".join(f"{k} = {_literal(v)}" for k, v in ordered)
        with self.lock:
            self.queries.append(body)
            return self.session.query(body, fmt).bytes(), fmt

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.session.close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if urlsplit(self.path).path.rstrip("/") == "/ping":
                    self._send(200, b"Ok.\n", {})
                    return
                self._query(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._query(self.rfile.read(length))

            def _query(self, body: bytes) -> None:
                params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                user, password = self._credentials(params)
                if (user, password) != (USER, PASSWORD):
                    message = f"Code: 516. DB::Exception: {user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)"
                    self._send(403, message.encode(), {"X-ClickHouse-Exception-Code": "516"})
                    return
                sql = params.get("query", "") + ("\n" if params.get("query") and body else "") + body.decode()
                settings = {
                    k: v for k, v in params.items() if k not in NOT_SETTINGS and not k.startswith("param_")
                }
                try:
                    data, fmt = fake.run(sql, settings)
                except Exception as exc:  # chDB raises ChdbError with ClickHouse's own message
                    message = str(exc)
                    code = _ERROR.search(message)
                    headers = {"X-ClickHouse-Exception-Code": code.group(1) if code else "1"}
                    self._send(500, message.encode(), headers)
                    return
                self._send(200, data, {"X-ClickHouse-Format": fmt})

            def _credentials(self, params: dict) -> tuple[str, str]:
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                    return user, password
                user = self.headers.get("X-ClickHouse-User") or params.get("user", "default")
                return user, self.headers.get("X-ClickHouse-Key") or params.get("password", "")

            def _send(self, status: int, data: bytes, headers: dict) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-ClickHouse-Query-Id", str(uuid.uuid4()))
                self.send_header("X-ClickHouse-Timezone", "UTC")
                self.send_header("X-ClickHouse-Server-Display-Name", "chdb")
                self.send_header("X-ClickHouse-Summary", '{"read_rows":"0","read_bytes":"0"}')
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _literal(value: str) -> str:
    return value if re.fullmatch(r"-?\d+(\.\d+)?", value) else "'" + value.replace("'", "\\'") + "'"


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory):
    pytest.importorskip("chdb")
    fake = FakeClickHouse(str(tmp_path_factory.mktemp("chdb")))
    yield fake
    fake.stop()
