"""`burrow bootstrap`: a user, organization, project and API key in one go (or a user joining an
organization); `--demo` makes the demo tenant `make run` uses, once."""

import argparse
import json
import secrets

from burrow.commands import fail, parse_uuid

DEMO_EMAIL = "demo@burrow.local"


def add_parsers(commands: argparse._SubParsersAction) -> None:
    boot = commands.add_parser("bootstrap", help="create a user, organization, project and API key")
    boot.add_argument(
        "--email", help="the user's address; the account is created when new (required unless --demo)"
    )
    boot.add_argument(
        "--password",
        help="a password for signing in at /login (default: none; `burrow users set-password` sets one later)",
    )
    boot.add_argument(
        "--organization", help="the new organization's name (required unless --join-organization or --demo)"
    )
    boot.add_argument(
        "--project", help="the new project's name (required unless --join-organization or --demo)"
    )
    boot.add_argument(
        "--join-organization",
        metavar="ORG_ID",
        help="add the user to this existing organization (default: create a new one, with the user as owner)",
    )
    boot.add_argument(
        "--level",
        choices=["member", "admin", "owner"],
        default="member",
        help="with --join-organization: the user's level there (default: %(default)s)",
    )
    boot.add_argument(
        "--scope", action="append", help="a scope of the new API key, repeatable (default: '*', all)"
    )
    boot.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    boot.add_argument("--demo", action="store_true", help="create the demo tenant once (make run)")
    boot.set_defaults(func=cmd_bootstrap)


def _print_bootstrap(result, as_json: bool) -> None:
    data = result.as_json()
    if as_json:
        print(json.dumps(data))
        return
    for key, value in data.items():
        print(f"{key:18} {value}")


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from burrow.core.addresses import InvalidAddress
    from burrow.core.bootstrap import bootstrap, join_organization
    from burrow.core.models import Organization, User
    from burrow.core.scopes import InvalidScopes

    scopes = args.scope or ["*"]
    if args.demo:
        return _bootstrap_demo(bootstrap, User)
    if not args.email:
        return fail("--email is required (or use --demo)")
    try:
        if args.join_organization:
            org = Organization.objects.filter(id=parse_uuid(args.join_organization)).first()
            if org is None:
                return fail(
                    f"organization {args.join_organization} does not exist; list yours with `burrow users list`"
                )
            result = join_organization(args.email, org, args.level, scopes)
        else:
            if not args.organization or not args.project:
                return fail("--organization and --project are required unless --join-organization is given")
            result = bootstrap(args.email, args.organization, args.project, scopes, password=args.password)
    except (InvalidScopes, InvalidAddress) as exc:
        return fail(str(exc))
    _print_bootstrap(result, args.json)
    return 0


def _bootstrap_demo(bootstrap, User) -> int:
    from burrow.analytics.demo import create_demo_dashboard
    from burrow.links import project_api_url, site_url
    from burrow.queries.demo import fill_environment

    if User.objects.exists():
        print("burrow: demo already set up (keys and the password are shown only once).")
        print(f"burrow: make a new key with: .venv/bin/burrow keys create --email {DEMO_EMAIL} --scope '*'")
        print(f"burrow: set a new password with: .venv/bin/burrow users set-password --email {DEMO_EMAIL}")
        demo = User.objects.filter(email=DEMO_EMAIL).first()
        if demo is not None and demo.current_team_id:
            print(f"burrow: {fill_environment(demo.current_team_id)} (dates up to today)")
        return 0
    # A password of its own per installation, so the pages report mails link to can be opened at once.
    password = secrets.token_urlsafe(12)
    result = bootstrap(DEMO_EMAIL, "Demo organization", "Demo project", ["*"], password=password)
    data = result.as_json()
    print(f"burrow: {fill_environment(data['environment_id'])}")
    demo_user = User.objects.get(email=DEMO_EMAIL)
    dashboard = create_demo_dashboard(demo_user.current_team, demo_user)
    print(f"burrow: demo dashboard {dashboard.id} ({dashboard.name}): SQL insights over the demo warehouse")
    print("burrow: created a demo user, organization, project and API key:")
    _print_bootstrap(result, as_json=False)
    print(f"{'password':18} {password}")
    print("\nTry it:")
    print(
        f'  curl -H "Authorization: Bearer {data["personal_api_key"]}" '
        + project_api_url(data["project_id"], "subscriptions/")
    )
    print(
        f'  curl -H "Authorization: Bearer {data["personal_api_key"]}" -H "Content-Type: application/json" '
        + project_api_url(data["project_id"], "query/")
        + """ -d '{"query": {"kind": "HogQLQuery", "query": "SELECT browser, count(*) FROM pageviews GROUP BY 1"}}'"""
    )
    print(f"  sign in at {site_url('/login')} as {DEMO_EMAIL} with the password above")
    return 0
