"""The `burrow` command as outside tools use it: real processes, exact flags and JSON keys."""

import json
import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from tests.devtools import port_open


def run_burrow(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "burrow.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def production_env(data_dir) -> dict:
    """The environment of an installation: Burrow's own settings (not the suite's), data in `data_dir`."""
    env = {k: v for k, v in os.environ.items() if k not in {"BURROW_SECRET_KEY", "BURROW_TEST_DATA_DIR"}}
    return {**env, "DJANGO_SETTINGS_MODULE": "burrow.settings", "BURROW_DATA_DIR": str(data_dir)}


@pytest.fixture
def cli_env(tmp_path):
    env = production_env(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    done = run_burrow(["migrate"], env)
    assert done.returncode == 0, done.stderr
    return env


def test_migrate_creates_the_data_dir_and_a_private_key_that_later_commands_keep(tmp_path):
    env = production_env(tmp_path / "var")
    env.pop("DATABASE_URL", None)
    done = run_burrow(["migrate"], env)
    assert done.returncode == 0, done.stderr
    key_file = tmp_path / "var" / "secret_key"
    assert (tmp_path / "var" / "burrow.sqlite3").exists()
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text()
    assert len(key) >= 50
    assert run_burrow(["bootstrap", "--demo"], env).returncode == 0
    assert run_burrow(["users", "list"], env).returncode == 0
    assert key_file.read_text() == key
    assert sorted(
        p.name for p in (tmp_path / "var").iterdir() if not p.name.startswith("burrow.sqlite3")
    ) == ["secret_key", "warehouses"]  # the demo environment's DuckDB warehouse


def test_other_commands_on_a_fresh_machine_say_to_run_migrate_and_create_nothing(tmp_path):
    env = production_env(tmp_path / "var")
    env.pop("DATABASE_URL", None)
    for args in (["users", "list"], ["keys", "list"], ["scheduler", "--once"]):
        done = run_burrow(args, env)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "run `burrow migrate` first" in done.stderr and "BURROW_SECRET_KEY" in done.stderr
    done = run_burrow(["users", "list"], {**env, "BURROW_SECRET_KEY": "configured"})
    assert done.returncode == 2 and "run `burrow migrate` first" in done.stderr, done.stderr
    assert not (tmp_path / "var").exists()


def test_a_configured_secret_key_is_used_and_no_key_file_is_written(tmp_path):
    env = {**production_env(tmp_path / "var"), "BURROW_SECRET_KEY": "from-the-environment"}
    env.pop("DATABASE_URL", None)
    assert run_burrow(["migrate"], env).returncode == 0
    assert (tmp_path / "var").is_dir() and not (tmp_path / "var" / "secret_key").exists()


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


def test_bootstrap_prints_the_project_token_and_keys_rotate_it(cli_env):
    boot = run_burrow(
        ["bootstrap", "--email", "t@example.com", "--organization", "O", "--project", "P", "--json"], cli_env
    )
    info = json.loads(boot.stdout.strip().splitlines()[-1])
    assert info["api_token"].startswith("phc_")
    rotated = run_burrow(["keys", "rotate-project-token", str(info["environment_id"])], cli_env)
    assert rotated.returncode == 0, rotated.stderr
    answer = json.loads(rotated.stdout)
    assert answer["environment_id"] == info["environment_id"]
    assert answer["api_token"].startswith("phc_") and answer["api_token"] != info["api_token"]
    missing = run_burrow(["keys", "rotate-project-token", "999999"], cli_env)
    assert missing.returncode == 2 and "no environment 999999" in missing.stderr


def test_status_json_on_a_new_installation(cli_env):
    assert run_burrow(["migrate"], cli_env).returncode == 0
    done = run_burrow(["status", "--json"], cli_env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["schedulers"], data["workers"], data["due_backlog"]) == ([], [], 0)
    assert data["deliveries_last_day"] == {} and data["starting_reason"] is None
    readable = run_burrow(["status"], cli_env)
    assert "schedulers" in readable.stdout and "due now" in readable.stdout


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
    done = run_burrow(["users", "list"], {**cli_env, "BURROW_DEBUG": "maybe"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "BURROW_DEBUG must be one of true/false, yes/no, on/off, 1/0, not 'maybe'" in done.stderr
    done = run_burrow(["serve", "--no-scheduler"], {**cli_env, "BURROW_WEB_WORKERS": "0"})
    assert done.returncode == 2 and "BURROW_WEB_WORKERS must be a whole number of at least 1" in done.stderr


@pytest.mark.django_db
def test_the_demo_prints_a_password_that_signs_in_once(capsys, client):
    from burrow.cli import main

    assert main(["bootstrap", "--demo"]) == 0
    printed = capsys.readouterr().out
    password = next(line.split()[1] for line in printed.splitlines() if line.startswith("password "))
    assert "sign in at http" in printed
    signed_in = client.post(
        "/api/login", {"email": "demo@burrow.local", "password": password}, content_type="application/json"
    )
    assert signed_in.status_code == 200, signed_in.content
    # A second run creates nothing and says how to get a new password.
    assert main(["bootstrap", "--demo"]) == 0
    again = capsys.readouterr().out
    assert password not in again and "users set-password --email demo@burrow.local" in again
