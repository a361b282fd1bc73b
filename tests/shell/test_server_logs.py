"""What `burrow serve` writes, as an operator's log shipper reads it: every line one JSON object, gunicorn's
own and its access log included; an access line names the request's id and never a share link's token or a
query string. gunicorn's control socket is in the data dir, for Burrow's user only."""

import json
import time
from pathlib import Path

import httpx


def test_server_lines_are_json_and_access_lines_carry_the_request_id(burrow_server):
    log = Path(burrow_server.env["BURROW_DATA_DIR"]) / "serve.log"
    answer = httpx.get(f"{burrow_server.url}/_livez?secret=hunter2", headers={"X-Request-ID": "probe-77"})
    assert answer.headers["X-Request-ID"] == "probe-77"
    httpx.get(f"{burrow_server.url}/shared/abcdefTOKEN123")

    def access_lines() -> list[dict]:
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        return [line for line in lines if line.get("logger") == "gunicorn.access"]

    deadline = time.monotonic() + 10
    while not any(line["status"] == 404 for line in access_lines()):  # the access line follows the answer
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    access = access_lines()
    probe = [line for line in access if line.get("request_id") == "probe-77"]
    assert probe and probe[0]["path"] == "/_livez" and probe[0]["status"] == 200
    assert "hunter2" not in log.read_text() and "abcdefTOKEN123" not in log.read_text()
    assert any(line["path"] == "/shared/…" for line in access)
    assert any(line.get("logger") == "gunicorn.error" for line in lines)  # gunicorn's start-up lines


def test_gunicorns_control_socket_is_in_the_data_dir(burrow_server):
    control = Path(burrow_server.env["BURROW_DATA_DIR"]) / "gunicorn.ctl"
    assert control.is_socket()
    assert control.stat().st_mode & 0o077 == 0


def test_metrics_add_up_every_worker(serve_burrow):
    from prometheus_client.parser import text_string_to_metric_families

    served = serve_burrow(workers=2)
    for _ in range(40):  # new connections, which the kernel hands to either worker
        assert httpx.get(f"{served.url}/_livez").status_code == 200
    scraped = httpx.get(f"{served.url}/_metrics")
    assert scraped.status_code == 200
    total = sum(
        sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "burrow_http_requests_total" and sample.labels["route"] == "_livez"
    )
    assert total == 40
