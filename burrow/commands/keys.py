"""`burrow keys create | list | revoke`: personal API keys, for operators and scripts; `burrow keys
rotate-project-token`: a new public token for an environment's browser clients."""

import argparse
import json

from burrow.commands import fail


def add_parsers(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser("keys", help="manage personal API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it once, as JSON")
    create.add_argument("--email", required=True, help="the address of the key's owner")
    create.add_argument("--label", default="cli", help="the key's label (default: %(default)s)")
    create.add_argument("--scope", action="append", help="a scope of the key, repeatable (default: '*', all)")
    listing = keys_sub.add_parser("list", help="list keys, masked, with their scopes and last use")
    listing.add_argument("--email", help="only this user's keys (default: everyone's)")
    revoke = keys_sub.add_parser("revoke", help="delete a key")
    revoke.add_argument("id", help="the key's id, as `burrow keys list` shows it")
    rotate = keys_sub.add_parser(
        "rotate-project-token",
        help="give an environment a new public project token (phc_…); pages still sending the old one are refused",
    )
    rotate.add_argument("environment", type=int, help="the environment's (or its project's) id")
    keys.set_defaults(func=cmd_keys)


def cmd_keys(args: argparse.Namespace) -> int:
    from burrow.core.addresses import InvalidAddress, address_key
    from burrow.core.keys import create_personal_api_key
    from burrow.core.models import PersonalAPIKey
    from burrow.core.scopes import InvalidScopes
    from burrow.domains.provisioning import find_user

    if args.keys_command == "rotate-project-token":
        return _rotate_project_token(args.environment)
    if args.keys_command == "create":
        user = find_user(args.email)
        if user is None:
            return fail(f"no user {args.email}; create one with `burrow bootstrap --email …`")
        try:
            key, value = create_personal_api_key(user, args.label, args.scope or ["*"])
        except InvalidScopes as exc:
            return fail(str(exc))
        print(json.dumps({"id": key.id, "label": key.label, "scopes": key.scopes, "personal_api_key": value}))
        return 0
    if args.keys_command == "list":
        keys = PersonalAPIKey.objects.select_related("user").order_by("created_at")
        if args.email:
            try:
                keys = keys.filter(user__email_key=address_key(args.email))
            except InvalidAddress as error:
                return fail(str(error))
        for key in keys:
            last = key.last_used_at.isoformat() if key.last_used_at else "never"
            print(
                f"{key.id}  {key.user.email}  {key.label!r}  {key.mask_value}  {','.join(key.scopes)}  last used {last}"
            )
        return 0
    deleted, _ = PersonalAPIKey.objects.filter(id=args.id).delete()
    if not deleted:
        return fail(f"no key with id {args.id}; see `burrow keys list`")
    print(f"burrow: revoked key {args.id}")
    return 0


def _rotate_project_token(environment_id: int) -> int:
    from burrow.core.models import Team, generate_project_token

    token = generate_project_token()
    if not Team.objects.filter(id=environment_id).update(api_token=token):
        return fail(f"no environment {environment_id}; `burrow bootstrap --json` prints yours")
    print(json.dumps({"environment_id": environment_id, "api_token": token}))
    return 0
