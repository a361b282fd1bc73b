"""Shared fixtures: tenants with API keys and clients that speak to Burrow over its public HTTP surface."""

import itertools
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from hypothesis.configuration import set_hypothesis_home_dir

# Settings are tests/settings.py (a temporary data dir per run); Hypothesis's example cache goes there too,
# not into `.hypothesis/` of the directory pytest was started in.
set_hypothesis_home_dir(django_settings.DATA_DIR / "hypothesis")

# The local fake servers (SMTP, DNS, Slack) and a Celery worker are fixtures every test package can use.
pytest_plugins = [
    "tests.fakes.smtp",
    "tests.fakes.dns",
    "tests.fakes.slack",
    "tests.fakes.provider",
    "tests.fakes.slack_workspace",
    "tests.fakes.linear",
    "tests.fakes.linkedin",
    "tests.fakes.twilio",
    "tests.fakes.github",
    "tests.fakes.domain_connect",
    "tests.workers",
]

_counter = itertools.count(1)


@dataclass
class Tenant:
    user: object
    organization: object
    project: object
    team: object
    key: str
    client: object

    def url(self, path: str, route: str = "projects") -> str:
        return f"/api/{route}/{self.project.id}/{path.lstrip('/')}"

    def org_url(self, path: str) -> str:
        return f"/api/organizations/{self.organization.id}/{path.lstrip('/')}"


def client_for(key: str | None):
    from rest_framework.test import APIClient

    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def make_tenant(db):
    from burrow.core.bootstrap import bootstrap

    def make(scopes: list[str] | None = None, email: str | None = None) -> Tenant:
        n = next(_counter)
        result = bootstrap(email or f"user{n}@example.com", f"Org {n}", f"Project {n}", scopes or ["*"])
        team = result.project.environments.order_by("id").first()
        return Tenant(
            result.user,
            result.organization,
            result.project,
            team,
            result.personal_api_key,
            client_for(result.personal_api_key),
        )

    return make


@pytest.fixture
def tenant(make_tenant) -> Tenant:
    return make_tenant()


@pytest.fixture
def other_tenant(make_tenant) -> Tenant:
    return make_tenant()


@pytest.fixture
def make_sibling(db):
    """A neighbour of a tenant inside its own organization, owned by the same person: another project
    (`kind="project"`) or another environment of the same project (`kind="environment"`), with its own key."""
    from burrow.core.keys import create_personal_api_key
    from burrow.core.models import Project, Team

    def make(tenant: Tenant, kind: str) -> Tenant:
        n = next(_counter)
        if kind == "project":
            project = Project.objects.create_with_environment(tenant.organization, f"Sibling {n}")
            team = project.environments.get()
        else:
            project = tenant.project
            team = Team.objects.create(organization=tenant.organization, project=project, name=f"Env {n}")
        _, key = create_personal_api_key(tenant.user, f"sibling {n}", ["*"])
        return Tenant(tenant.user, tenant.organization, project, team, key, client_for(key))

    return make


@pytest.fixture
def key_client(tenant):
    """A client for `tenant`'s user with a key of the given scopes."""
    from burrow.core.keys import create_personal_api_key

    def make(scopes: list[str], **scoping):
        _, value = create_personal_api_key(tenant.user, "test", scopes, **scoping)
        return client_for(value)

    return make


def pytest_configure(config) -> None:
    """Services and static files for the whole run.

    Services: the suite uses PostgreSQL and Redis when they answer (tests/devtools.py); a line per service
    heads the run, and with BURROW_REQUIRE_SERVICES=1 (CI) a missing one stops the run instead of skipping
    the tests that need it.

    Static files: in-process tests find them where the finders do, with plain names, so rendering a page
    needs no `collectstatic` and reads nothing from ./var; the collected, hashed and compressed files
    WhiteNoise serves are tested through real `burrow serve` processes (tests/contract/test_docs_pages.py)."""
    from django.test.utils import override_settings

    from burrow.config import ConfigError
    from tests.devtools import missing_required_services

    try:
        problem = missing_required_services()
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    if problem:
        raise pytest.UsageError(problem)

    static_root = django_settings.DATA_DIR / "static"
    static_root.mkdir(parents=True, exist_ok=True)
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    storages = {**django_settings.STORAGES, "staticfiles": plain}
    override_settings(STATIC_ROOT=static_root, STORAGES=storages, WHITENOISE_USE_FINDERS=True).enable()


def pytest_report_header(config) -> list[str]:
    from tests.devtools import service_lines

    return service_lines()[0]


@dataclass
class Served:
    """A running `burrow serve`: its base URL, and the environment for `burrow` commands on its data."""

    url: str
    env: dict
    process: object

    def burrow(self, *args: str):
        import subprocess
        import sys

        return subprocess.run(
            [sys.executable, "-m", "burrow.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def serve_burrow(tmp_path_factory):
    """Starts real `burrow serve` processes as an installation runs them (Burrow's own settings, a data dir
    of their own, collected static files, gunicorn), on free loopback ports; all stop after the module.

    `serve_burrow(scheduler=False, workers=1, **env)`: the database is a SQLite file in the data dir, or a fresh
    PostgreSQL database when the suite runs on PostgreSQL; `env` adds variables (BURROW_EMAIL_URL, …)."""
    import os
    import subprocess
    import sys
    import time
    import uuid

    import httpx

    from tests.fakes.smtp import free_port

    started: list[tuple[Served, str | None]] = []

    def start(scheduler: bool = False, workers: int = 1, **extra: str) -> Served:
        data = tmp_path_factory.mktemp("serve")
        env = {k: v for k, v in os.environ.items() if k not in {"BURROW_SECRET_KEY", "BURROW_TEST_DATA_DIR"}}
        env.update(
            DJANGO_SETTINGS_MODULE="burrow.settings", BURROW_DATA_DIR=str(data), BURROW_LOG_LEVEL="WARNING"
        )
        env["DATABASE_URL"] = f"sqlite:///{data / 'burrow.sqlite3'}"
        database = None
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            database = f"burrow_serve_{uuid.uuid4().hex[:12]}"
            _postgres(f'CREATE DATABASE "{database}"')
            env["DATABASE_URL"] = f"{os.environ['DATABASE_URL'].rsplit('/', 1)[0]}/{database}"
        env.update(extra)
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "burrow.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        with open(data / "serve.log", "w") as log:
            process = subprocess.Popen(
                command + ([] if scheduler else ["--no-scheduler"]), env=env, stdout=log, stderr=log
            )
        served = Served(f"http://127.0.0.1:{port}", env, process)
        started.append((served, database))
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (data / "serve.log").read_text()
            assert time.monotonic() < deadline, "burrow serve did not answer within 90 s"
            try:
                if httpx.get(f"{served.url}/_health", timeout=5).status_code == 200:
                    return served
            except httpx.TransportError:
                pass
            time.sleep(0.2)

    yield start
    for served, database in started:
        served.process.terminate()
        try:
            served.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            served.process.kill()
        if database:
            _postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _postgres(statement: str) -> None:
    import os

    import psycopg

    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(statement)


@pytest.fixture(scope="module")
def burrow_server(serve_burrow) -> Served:
    """One real `burrow serve` (no scheduler) for the module's tests."""
    return serve_burrow()
