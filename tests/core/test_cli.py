"""The `burrow` command as outside tools use it: real processes, exact flags and JSON keys."""

import json
import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from burrow.devtools import port_open


def run_burrow(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "burrow.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def cli_env(tmp_path):
    env = dict(os.environ)
    env["BURROW_DATA_DIR"] = str(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert run_burrow(["migrate"], env).returncode == 0
    return env


def test_bootstrap_json_contract_and_key_works_over_http(cli_env):
    done = run_burrow(
        [
            "bootstrap",
            "--email",
            "ops@example.com",
            "--organization",
            "Acme",
            "--project",
            "Web",
            "--scope",
            "dashboard:read",
            "--json",
        ],
        cli_env,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"organization_id", "project_id", "environment_id", "user_id", "personal_api_key"} <= set(data)
    assert data["project_id"] == data["environment_id"]
    uuid.UUID(data["organization_id"])
    assert data["personal_api_key"].startswith("phx_")

    again = run_burrow(
        ["bootstrap", "--email", "ops@example.com", "--organization", "Acme", "--project", "Web", "--json"],
        cli_env,
    )
    second = json.loads(again.stdout.strip().splitlines()[-1])
    assert (second["organization_id"], second["project_id"]) == (data["organization_id"], data["project_id"])

    joined = run_burrow(
        [
            "bootstrap",
            "--email",
            "member@example.com",
            "--join-organization",
            data["organization_id"],
            "--level",
            "member",
            "--json",
        ],
        cli_env,
    )
    assert joined.returncode == 0, joined.stderr
    member = json.loads(joined.stdout.strip().splitlines()[-1])
    assert member["organization_id"] == data["organization_id"] and member["project_id"] == data["project_id"]
    assert member["user_id"] != data["user_id"]

    users = run_burrow(["users", "list"], cli_env).stdout
    assert "member@example.com" in users and "member" in users


def test_bootstrap_refuses_unknown_organization_and_bad_scope(cli_env):
    done = run_burrow(
        ["bootstrap", "--email", "x@example.com", "--join-organization", str(uuid.uuid4()), "--json"], cli_env
    )
    assert done.returncode == 2 and "does not exist" in done.stderr
    done = run_burrow(
        [
            "bootstrap",
            "--email",
            "x@example.com",
            "--organization",
            "O",
            "--project",
            "P",
            "--scope",
            "nonsense",
        ],
        cli_env,
    )
    assert done.returncode == 2 and "Invalid scope: nonsense" in done.stderr


def test_keys_create_list_revoke(cli_env):
    run_burrow(["bootstrap", "--email", "k@example.com", "--organization", "O", "--project", "P"], cli_env)
    created = json.loads(
        run_burrow(
            ["keys", "create", "--email", "k@example.com", "--label", "ci", "--scope", "subscription:read"],
            cli_env,
        ).stdout
    )
    listing = run_burrow(["keys", "list", "--email", "k@example.com"], cli_env).stdout
    assert created["id"] in listing and created["personal_api_key"] not in listing
    assert run_burrow(["keys", "revoke", created["id"]], cli_env).returncode == 0
    assert created["id"] not in run_burrow(["keys", "list"], cli_env).stdout


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_health_and_api(cli_env):
    boot = run_burrow(
        ["bootstrap", "--email", "s@example.com", "--organization", "O", "--project", "P", "--json"], cli_env
    )
    data = json.loads(boot.stdout.strip().splitlines()[-1])
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "burrow.cli",
            "serve",
            "--port",
            str(port),
            "--no-scheduler",
            "--workers",
            "1",
        ],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.2)
        health = httpx.get(f"http://127.0.0.1:{port}/_health", timeout=10)
        assert health.status_code == 200 and health.text == "ok"
        api = httpx.get(
            f"http://127.0.0.1:{port}/api/projects/{data['project_id']}/dashboards/",
            headers={"Authorization": f"Bearer {data['personal_api_key']}"},
            timeout=10,
        )
        assert api.status_code == 200 and api.json()["count"] == 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_bad_setting_is_named_with_what_it_accepts(cli_env):
    done = run_burrow(["migrate"], {**cli_env, "BURROW_DELIVERY_THREADS": "lots"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "BURROW_DELIVERY_THREADS must be a whole number of at least 1, not 'lots'" in done.stderr
