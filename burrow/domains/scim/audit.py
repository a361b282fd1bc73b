"""The record of what a domain's SCIM token changed: a log line and an organization activity entry per person
and change (docs/scim.md, "Audit").

The token belongs to no one, so no entry has a user: each names the token instead — `context.actor` is
"SCIM token of <domain>" and `context.domain_id` the domain whose token it is (also `trigger.job_id`, with
`trigger.job_type` "scim"). The token itself is never written."""

import logging
from typing import Any

from burrow.core.models import ActivityLog, User
from burrow.domains.models import OrganizationDomain
from burrow.domains.scim.resources import ROLE_OF_LEVEL

logger = logging.getLogger("burrow.domains.scim.services")

SCOPE = "OrganizationMembership"


def actor(domain: OrganizationDomain) -> str:
    return f"SCIM token of {domain.domain}"


def change(field: str, before: Any, after: Any) -> dict[str, Any]:
    return {"type": SCOPE, "action": "changed", "field": field, "before": before, "after": after}


def level_change(before: int | None, after: int | None) -> dict[str, Any]:
    """The person's role in the organization before and after (None: not a member)."""
    return change("level", ROLE_OF_LEVEL.get(before), ROLE_OF_LEVEL.get(after))


def record(
    domain: OrganizationDomain,
    user: User,
    action: str,
    changes: list[dict[str, Any]] | None = None,
    **detail: Any,
) -> None:
    logger.info(
        f"scim user {action}",
        extra={
            "domain_id": str(domain.id),
            "organization_id": str(domain.organization_id),
            "user_id": user.pk,
            **detail,
        },
    )
    ActivityLog.objects.create(
        organization_id=domain.organization_id,
        is_system=True,
        activity=action,
        scope=SCOPE,
        item_id=str(user.pk),
        detail={
            "id": str(user.pk),
            "changes": changes or [],
            "merge": None,
            "trigger": {"job_type": "scim", "job_id": str(domain.id), "payload": detail},
            "name": user.email,
            "short_id": None,
            "type": None,
            "context": {
                "organization_id": str(domain.organization_id),
                "domain": domain.domain,
                "domain_id": str(domain.id),
                "actor": actor(domain),
            },
        },
    )
