"""`burrow org-integration add`: the operator's way to add (or update) an organization integration."""

import argparse
import json

from burrow.commands import fail, parse_uuid


def add_parsers(commands: argparse._SubParsersAction) -> None:
    org_integration = commands.add_parser("org-integration", help="manage organization integrations")
    org_integration_sub = org_integration.add_subparsers(dest="org_integration_command", required=True)
    add = org_integration_sub.add_parser("add", help="add (or update) an organization integration")
    add.add_argument("--organization", required=True, metavar="ORG_ID", help="the organization's id")
    add.add_argument("--kind", required=True, help="the integration's kind, e.g. vercel")
    add.add_argument("--integration-id", required=True, help="the provider's id of the integration")
    add.add_argument("--config", default="{}", help="a JSON object, shown as `config` (default: %(default)s)")
    org_integration.set_defaults(func=cmd_org_integration)


def cmd_org_integration(args: argparse.Namespace) -> int:
    """Burrow has no marketplace: organization integrations are added by the operator."""
    from burrow.core.models import Organization
    from burrow.integrations.models import KINDS
    from burrow.integrations.services import add_organization_integration

    org = Organization.objects.filter(id=parse_uuid(args.organization)).first()
    if org is None:
        return fail(f"organization {args.organization} does not exist; list yours with `burrow users list`")
    if args.kind not in KINDS:
        return fail(f"unknown kind {args.kind!r}; one of: {', '.join(KINDS)}")
    try:
        config = json.loads(args.config)
    except ValueError as exc:
        return fail(f"--config is not valid JSON: {exc}")
    if not isinstance(config, dict):
        return fail("--config must be a JSON object")
    row, created = add_organization_integration(org, args.kind, args.integration_id, config)
    print(
        json.dumps(
            {"id": str(row.id), "kind": row.kind, "integration_id": row.integration_id, "created": created}
        )
    )
    return 0
