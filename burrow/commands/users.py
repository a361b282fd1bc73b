"""`burrow users list | set-password`: who belongs to which organization, and a password for `/login`."""

import argparse
import sys


def add_parsers(commands: argparse._SubParsersAction) -> None:
    users = commands.add_parser("users", help="list users and their organizations; set a password")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    users_sub.add_parser("list", help="every user with their organizations and levels")
    set_password = users_sub.add_parser("set-password", help="set a user's password for signing in at /login")
    set_password.add_argument("--email", required=True, help="the user's address")
    set_password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input, for scripts (by default it is typed twice at a prompt)",
    )
    users.set_defaults(func=cmd_users)


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
