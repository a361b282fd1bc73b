"""The `burrow` command: serve, scheduler, worker, bootstrap, migrate, keys, users (list, set-password),
org-integration."""

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

DEMO_EMAIL = "demo@burrow.local"


# The commands that set an installation up: on first use they create the data dir and the secret key.
PREPARING_COMMANDS = frozenset({"migrate", "serve", "bootstrap"})


def _setup_django(prepare: bool) -> str | None:
    """Loads the settings (which write nothing) and sets Django up. With `prepare`, first creates the data
    dir and, unless BURROW_SECRET_KEY is set, the secret key file; without it, returns what the user must
    do first when the installation is not set up yet."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "burrow.settings")
    import django
    from django.conf import settings

    from burrow.config import MISSING_SECRET_KEY, prepare_data_dir, secret_key

    if prepare:
        try:
            prepare_data_dir(settings.DATA_DIR, create_key=not _has_secret_key(settings))
        except OSError as error:
            return f"cannot create the data directory: {error}. Set BURROW_DATA_DIR to a writable directory."
        if not _has_secret_key(settings):
            settings.SECRET_KEY = secret_key(settings.DATA_DIR)
    elif not _has_secret_key(settings):
        return MISSING_SECRET_KEY
    elif missing := _missing_sqlite_file(settings.DATABASES["default"]):
        return f"there is no database at {missing} yet: run `burrow migrate` first"
    django.setup()
    return None


def _has_secret_key(settings) -> bool:
    from django.core.exceptions import ImproperlyConfigured

    try:
        return bool(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django's answer to an empty SECRET_KEY
        return False


def _missing_sqlite_file(database: dict) -> str | None:
    name = str(database.get("NAME") or "")
    if database["ENGINE"] != "django.db.backends.sqlite3" or name == ":memory:" or name.startswith("file:"):
        return None
    return None if os.path.exists(name) else name


def _fail(message: str) -> int:
    print(f"burrow: {message}", file=sys.stderr)
    return 2


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    print("burrow: database is up to date")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from burrow.server import run_server

    call_command("migrate", interactive=False, verbosity=0)
    _collect_static()
    scheduler = None
    if not args.no_scheduler:
        # The scheduler lives in its own supervised process: forking web workers from a process that runs
        # threads is unsafe, and keeping chart rendering out of web workers keeps their memory small. Web
        # workers wake it through burrow.subscriptions.wakeup when they queue a delivery.
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "burrow.supervisor", "--", sys.executable, "-m", "burrow.cli", "scheduler"]
        )
    try:
        return run_server(args.host, args.port, args.workers, args.threads)
    finally:
        if scheduler is not None:
            scheduler.send_signal(signal.SIGTERM)
            try:
                scheduler.wait(timeout=15)
            except subprocess.TimeoutExpired:
                scheduler.kill()


def _collect_static() -> None:
    """Collects the static files (Swagger UI, Redoc, page scripts) into STATIC_ROOT in the data dir, under
    content-hashed names with gzip copies, before the web workers start: WhiteNoise in each worker serves what
    is there. Compressing takes seconds, so it is skipped when the source files are the ones collected last
    time; the record of that, `<STATIC_ROOT>.collected`, is also the lock that keeps servers starting at
    once apart."""
    import fcntl
    import hashlib

    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    files = sorted(storage.path(path) for finder in get_finders() for path, storage in finder.list(None))
    sources = hashlib.sha256(f"{settings.STATIC_URL}{settings.STORAGES['staticfiles']}".encode())
    for file in files:
        stat = os.stat(file)
        sources.update(f"{file}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    manifest = os.path.join(settings.STATIC_ROOT, "staticfiles.json")
    with open(f"{settings.STATIC_ROOT}.collected", "a+") as record:
        fcntl.flock(record, fcntl.LOCK_EX)
        record.seek(0)
        if record.read() != sources.hexdigest() or not os.path.exists(manifest):
            call_command("collectstatic", interactive=False, verbosity=0)
            record.truncate(0)
            record.write(sources.hexdigest())


def cmd_scheduler(args: argparse.Namespace) -> int:
    from burrow.subscriptions.scheduler import run_scheduler

    run_scheduler(interval=args.interval, once=args.once)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from burrow.subscriptions.tasks import run_worker

    return run_worker(concurrency=args.concurrency)


def _print_bootstrap(result, as_json: bool) -> None:
    data = result.as_json()
    if as_json:
        print(json.dumps(data))
        return
    for key, value in data.items():
        print(f"{key:18} {value}")


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from burrow.core.bootstrap import bootstrap, join_organization
    from burrow.core.models import Organization, User
    from burrow.core.scopes import InvalidScopes

    scopes = args.scope or ["*"]
    if args.demo:
        return _bootstrap_demo(bootstrap, User)
    if not args.email:
        return _fail("--email is required (or use --demo)")
    try:
        if args.join_organization:
            org = Organization.objects.filter(id=_parse_uuid(args.join_organization)).first()
            if org is None:
                return _fail(
                    f"organization {args.join_organization} does not exist; list yours with `burrow users list`"
                )
            result = join_organization(args.email, org, args.level, scopes)
        else:
            if not args.organization or not args.project:
                return _fail("--organization and --project are required unless --join-organization is given")
            result = bootstrap(args.email, args.organization, args.project, scopes, password=args.password)
    except InvalidScopes as exc:
        return _fail(str(exc))
    _print_bootstrap(result, args.json)
    return 0


def _parse_uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _bootstrap_demo(bootstrap, User) -> int:
    from burrow.links import project_api_url

    if User.objects.exists():
        print("burrow: demo already set up (keys are shown only once).")
        print(f"burrow: make a new key with: .venv/bin/burrow keys create --email {DEMO_EMAIL} --scope '*'")
        return 0
    result = bootstrap(DEMO_EMAIL, "Demo organization", "Demo project", ["*"])
    data = result.as_json()
    print("burrow: created a demo user, organization, project and API key:")
    _print_bootstrap(result, as_json=False)
    print("\nTry it:")
    print(
        f'  curl -H "Authorization: Bearer {data["personal_api_key"]}" '
        + project_api_url(data["project_id"], "subscriptions/")
    )
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from burrow.core.keys import create_personal_api_key
    from burrow.core.models import PersonalAPIKey, User
    from burrow.core.scopes import InvalidScopes

    if args.keys_command == "create":
        user = User.objects.filter(email__iexact=args.email).first()
        if user is None:
            return _fail(f"no user {args.email}; create one with `burrow bootstrap --email …`")
        try:
            key, value = create_personal_api_key(user, args.label, args.scope or ["*"])
        except InvalidScopes as exc:
            return _fail(str(exc))
        print(json.dumps({"id": key.id, "label": key.label, "scopes": key.scopes, "personal_api_key": value}))
        return 0
    if args.keys_command == "list":
        keys = PersonalAPIKey.objects.select_related("user").order_by("created_at")
        if args.email:
            keys = keys.filter(user__email__iexact=args.email)
        for key in keys:
            last = key.last_used_at.isoformat() if key.last_used_at else "never"
            print(
                f"{key.id}  {key.user.email}  {key.label!r}  {key.mask_value}  {','.join(key.scopes)}  last used {last}"
            )
        return 0
    deleted, _ = PersonalAPIKey.objects.filter(id=args.id).delete()
    if not deleted:
        return _fail(f"no key with id {args.id}; see `burrow keys list`")
    print(f"burrow: revoked key {args.id}")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from burrow.core.models import OrganizationMembership

    if args.users_command == "set-password":
        return _set_password(args.email, args.password_stdin)

    memberships = OrganizationMembership.objects.select_related("user", "organization").order_by(
        "user__email"
    )
    for m in memberships:
        print(f"{m.user.email}  {m.organization.id}  {m.organization.name!r}  {m.get_level_display()}")
    return 0


def _set_password(email: str, from_stdin: bool) -> int:
    """Sets a user's password for `/login`: typed twice at a prompt (never echoed, never in the shell's
    history), or the first line of standard input for scripts."""
    import getpass

    from django.core.exceptions import ValidationError

    from burrow.domains.provisioning import find_user
    from burrow.domains.signin.services import set_password

    user = find_user(email)
    if user is None:
        print(
            f"burrow: no user {email}; create one with `burrow bootstrap --email {email} …` "
            "(see `burrow users list`)",
            file=sys.stderr,
        )
        return 1
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"New password for {user.email}: ")
        if getpass.getpass("Repeat the password: ") != password:
            print("burrow: the two passwords differ; nothing was changed", file=sys.stderr)
            return 1
    if not password:
        print("burrow: the password is empty; nothing was changed", file=sys.stderr)
        return 1
    try:
        set_password(user, password)
    except ValidationError as error:
        print(f"burrow: {' '.join(error.messages)} Nothing was changed.", file=sys.stderr)
        return 1
    print(f"burrow: password set for {user.email}; sign in at /login")
    return 0


def cmd_org_integration(args: argparse.Namespace) -> int:
    """Burrow has no marketplace: organization integrations are added by the operator."""
    from burrow.core.models import Organization
    from burrow.integrations.models import KINDS
    from burrow.integrations.services import add_organization_integration

    org = Organization.objects.filter(id=_parse_uuid(args.organization)).first()
    if org is None:
        return _fail(f"organization {args.organization} does not exist; list yours with `burrow users list`")
    if args.kind not in KINDS:
        return _fail(f"unknown kind {args.kind!r}; one of: {', '.join(KINDS)}")
    try:
        config = json.loads(args.config)
    except ValueError as exc:
        return _fail(f"--config is not valid JSON: {exc}")
    if not isinstance(config, dict):
        return _fail("--config must be a JSON object")
    row, created = add_organization_integration(org, args.kind, args.integration_id, config)
    print(
        json.dumps(
            {"id": str(row.id), "kind": row.kind, "integration_id": row.integration_id, "created": created}
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    from burrow.config import env_number

    parser = argparse.ArgumentParser(prog="burrow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API (and run the scheduler)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    workers = env_number("BURROW_WEB_WORKERS", 2, minimum=1, whole=True)
    threads = env_number("BURROW_WEB_THREADS", 4, minimum=1, whole=True)
    serve.add_argument("--workers", type=int, default=workers)
    serve.add_argument("--threads", type=int, default=threads)
    serve.add_argument("--no-scheduler", action="store_true", help="do not run the delivery scheduler")
    serve.set_defaults(func=cmd_serve)

    scheduler = sub.add_parser("scheduler", help="run the delivery scheduler on its own")
    scheduler.add_argument("--interval", type=float, default=None, help="seconds between ticks")
    scheduler.add_argument("--once", action="store_true", help="run one tick and exit")
    scheduler.set_defaults(func=cmd_scheduler)

    worker = sub.add_parser("worker", help="run Celery delivery workers (needs BURROW_BROKER_URL)")
    worker.add_argument("--concurrency", type=int, default=4)
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--verbose", action="store_true")
    migrate.set_defaults(func=cmd_migrate)

    boot = sub.add_parser("bootstrap", help="create a user, organization, project and API key")
    boot.add_argument("--email")
    boot.add_argument("--password")
    boot.add_argument("--organization")
    boot.add_argument("--project")
    boot.add_argument("--join-organization", metavar="ORG_ID")
    boot.add_argument("--level", choices=["member", "admin", "owner"], default="member")
    boot.add_argument("--scope", action="append", help="repeatable; default '*'")
    boot.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    boot.add_argument("--demo", action="store_true", help="create the demo tenant once (make run)")
    boot.set_defaults(func=cmd_bootstrap)

    keys = sub.add_parser("keys", help="manage personal API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create")
    create.add_argument("--email", required=True)
    create.add_argument("--label", default="cli")
    create.add_argument("--scope", action="append")
    listing = keys_sub.add_parser("list")
    listing.add_argument("--email")
    revoke = keys_sub.add_parser("revoke")
    revoke.add_argument("id")
    keys.set_defaults(func=cmd_keys)

    users = sub.add_parser("users", help="list users and their organizations; set a password")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    users_sub.add_parser("list", help="every user with their organizations and levels")
    set_password = users_sub.add_parser("set-password", help="set a user's password for signing in at /login")
    set_password.add_argument("--email", required=True)
    set_password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (scripts)"
    )
    users.set_defaults(func=cmd_users)

    org_integration = sub.add_parser("org-integration", help="manage organization integrations")
    org_integration_sub = org_integration.add_subparsers(dest="org_integration_command", required=True)
    add = org_integration_sub.add_parser("add", help="add (or update) an organization integration")
    add.add_argument("--organization", required=True, metavar="ORG_ID")
    add.add_argument("--kind", required=True)
    add.add_argument("--integration-id", required=True)
    add.add_argument("--config", default="{}", help="JSON object shown as `config`")
    org_integration.set_defaults(func=cmd_org_integration)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from burrow.config import ConfigError

    try:
        args = build_parser().parse_args(argv)
        not_ready = _setup_django(prepare=args.command in PREPARING_COMMANDS)
    except ConfigError as error:
        return _fail(f"{error}. Fix the environment variable and start again.")
    if not_ready:
        return _fail(not_ready)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
