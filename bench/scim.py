"""SCIM benchmark: what an identity provider's calls cost Burrow, in process (the WSGI application called
directly, one thread, no HTTP server and no network: Burrow's own work and its database's), on PostgreSQL:

  lookup   GET /scim/v2/:domain/Users?filter=userName eq "…"         (Okta and Entra ID ask this before
                                                                      every push: is this person there?)
  page     GET /scim/v2/:domain/Users?filter=userName sw "p"&count=100  (a page of 100 people)

It prints the CPU time per request (best of five batches: the least disturbed by other work on the machine),
the wall-clock p50 and the queries per request. The domain holds --people members.

    .venv/bin/python bench/scim.py                      # 2,000 people, 300 look-ups, 30 pages
    .venv/bin/python bench/scim.py --people 120 --lookups 20 --pages 4     # smoke run (the test suite's)

Needs PostgreSQL (default postgres://postgres@127.0.0.1:5432, trust auth); the database named by
--database-url (default $BENCH_DATABASE_URL, else burrow_bench_scim) is dropped and recreated. Only
127.0.0.1 is contacted."""

import argparse
import io
import json
import shutil
import statistics
import sys
import tempfile
import time

from api import setup_django
from harness import default_database_url, recreate_database

HOST = "127.0.0.1"


def seed(people: int) -> tuple[str, str]:
    """A verified domain with SCIM on and `people` members; (domain id, bearer token)."""
    import datetime as dt

    from django.core.management import call_command

    from burrow.core.addresses import address_key
    from burrow.core.bootstrap import bootstrap
    from burrow.core.models import OrganizationMembership, User
    from burrow.domains import services
    from burrow.domains.models import OrganizationDomain

    call_command("migrate", interactive=False, verbosity=0)
    boot = bootstrap("owner@bench.example", "Bench organization", "Bench project", ["*"])
    domain = OrganizationDomain.objects.create(
        organization=boot.organization,
        domain="bench.example",
        verified_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    token = services.update(domain, boot.user, {"scim_enabled": True}).scim_bearer_token
    addresses = [f"person{n:05}@bench.example" for n in range(people)]
    users = User.objects.bulk_create(  # bulk_create skips save(), which keeps `email_key` in step
        User(email=address, email_key=address_key(address), first_name="Person", last_name=address[6:11])
        for address in addresses
    )
    OrganizationMembership.objects.bulk_create(
        OrganizationMembership(organization=boot.organization, user=user) for user in users
    )
    return str(domain.id), token


def request(application, path: str, query: str, token: str) -> tuple[dict, int]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": HOST,
        "SERVER_PORT": "80",
        "HTTP_HOST": HOST,
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "REMOTE_ADDR": HOST,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }
    status = []
    body = b"".join(application(environ, lambda s, h, e=None: status.append(s)))
    if not status[0].startswith("200"):
        raise SystemExit(f"bench: {path}?{query} answered {status[0]}: {body[:300]}")
    return json.loads(body), int(status[0].split()[0])


def measure(name: str, call, runs: int) -> None:
    from django.db import connection

    call()  # warm-up: imports, compiled queries, the first connection
    captured = []
    with connection.execute_wrapper(lambda execute, sql, *rest: captured.append(sql) or execute(sql, *rest)):
        call()
    walls, cpus = [], []
    for _ in range(5):
        started_cpu = time.process_time()
        for _ in range(runs):
            started = time.perf_counter()
            call()
            walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - started_cpu) * 1000 / runs)
    print(
        f"  {name:7} CPU {min(cpus):6.2f} ms/request  p50 {statistics.median(walls):6.2f} ms  "
        f"{len(captured)} queries  = {1000 / min(cpus):,.0f} requests/s per core"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=300, help="look-ups per batch")
    parser.add_argument("--pages", type=int, default=30, help="pages per batch")
    parser.add_argument("--database-url", default=default_database_url("burrow_bench_scim"))
    args = parser.parse_args(argv)

    data_dir = tempfile.mkdtemp(prefix="burrow-bench-scim-")
    try:
        recreate_database(args.database_url)
        setup_django(args.database_url, data_dir)
        domain_id, token = seed(args.people)
        from burrow.wsgi import application

        users = f"/scim/v2/{domain_id}/Users"
        wanted = f"person{args.people // 2:05}@bench.example"
        found, _ = request(application, users, f'filter=userName eq "{wanted}"', token)
        page, _ = request(application, users, 'filter=userName sw "p"&count=100', token)
        if found["totalResults"] != 1 or len(page["Resources"]) != min(100, args.people):
            raise SystemExit(f"bench: unexpected answers: {found['totalResults']}, {len(page['Resources'])}")
        print(f"bench: {args.people:,} people in the domain; best of 5 batches")
        measure(
            "lookup",
            lambda: request(application, users, f'filter=userName eq "{wanted}"', token),
            args.lookups,
        )
        measure(
            "page", lambda: request(application, users, 'filter=userName sw "p"&count=100', token), args.pages
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
