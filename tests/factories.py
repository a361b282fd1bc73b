"""One factory per tenant-owned model, used by the tenant-isolation matrix. A new area's model without a
factory here makes the matrix fail, so every route added later is covered.

Each factory also names the fields that carry a marker (`marked=`): the matrix gives tenant A's objects
unique marker strings and looks for them in everything tenant B is shown."""

import uuid
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

FACTORIES: dict[str, Callable] = {}
MARKED_FIELDS: dict[str, Callable[[str], dict]] = {}


def factory(label: str, marked: Callable[[str], dict]):
    def register(func: Callable) -> Callable:
        FACTORIES[label] = func
        MARKED_FIELDS[label] = marked
        return func

    return register


def new_marker(label: str) -> str:
    """A string no other row holds (short enough for any text column)."""
    return f"mark-{label.rsplit('.', 1)[-1].lower()}-{uuid.uuid4().hex[:16]}"


@factory("analytics.Dashboard", marked=lambda m: {"name": m, "description": m})
def make_dashboard(tenant, **fields):
    from burrow.analytics.models import Dashboard

    return Dashboard.objects.create(team=tenant.team, name=fields.pop("name", "Secret dashboard"), **fields)


@factory("analytics.Insight", marked=lambda m: {"name": m, "description": m})
def make_insight(tenant, **fields):
    from burrow.analytics.models import Insight

    return Insight.objects.create(team=tenant.team, name=fields.pop("name", "Secret insight"), **fields)


@factory("subscriptions.Subscription", marked=lambda m: {"title": m, "target_value": f"{m}@example.com"})
def make_subscription(tenant, **fields):
    from burrow.subscriptions.models import Subscription

    defaults = {
        "insight": make_insight(tenant),
        "target_type": "email",
        "target_value": "secret@example.com",
        "frequency": "daily",
        "start_date": timezone.now() + timedelta(days=1),
        "title": "Secret subscription",
        "created_by": tenant.user,
    }
    defaults.update(fields)
    subscription = Subscription(team=tenant.team, **defaults)
    if "next_delivery_date" not in fields:
        subscription.reschedule()
    subscription.save()
    return subscription


@factory(
    "subscriptions.SubscriptionDelivery",
    marked=lambda m: {"target_value": f"{m}@example.com", "error": {"message": m}},
)
def make_delivery(tenant, **fields):
    from burrow.subscriptions.models import SubscriptionDelivery

    subscription = fields.pop("subscription", None) or make_subscription(tenant)
    defaults = {
        "idempotency_key": f"test:{subscription.id}:{uuid.uuid4()}",
        "trigger_type": "manual",
        "target_type": subscription.target_type,
        "target_value": subscription.target_value,
    }
    defaults.update(fields)
    return SubscriptionDelivery.objects.create(subscription=subscription, team=tenant.team, **defaults)


@factory("core.ActivityLog", marked=lambda m: {"item_id": m, "detail": {"id": m, "name": m, "changes": []}})
def make_activity(tenant, **fields):
    from burrow.core.models import ActivityLog

    defaults = {
        "user": tenant.user,
        "activity": "updated",
        "scope": "Subscription",
        "item_id": "1",
        "detail": {"id": "1", "name": "Secret subscription", "changes": []},
    }
    defaults.update(fields)
    return ActivityLog.objects.create(team=tenant.team, organization=tenant.organization, **defaults)


@factory(
    "integrations.Integration",
    marked=lambda m: {
        "integration_id": m,
        "config": {"team": {"name": m}},
        "sensitive_config": {"access_token": m},
    },
)
def make_integration(tenant, **fields):
    from burrow.integrations.models import Integration

    defaults = {
        "kind": "slack",
        "integration_id": f"T{uuid.uuid4().hex[:10].upper()}",
        "config": {"team": {"name": "Secret workspace"}},
        "sensitive_config": {"access_token": f"xoxb-{uuid.uuid4().hex}"},
        "created_by": tenant.user,
    }
    defaults.update(fields)
    return Integration.objects.create(team=tenant.team, **defaults)


@factory(
    "integrations.OrganizationIntegration",
    marked=lambda m: {"integration_id": m, "config": {"name": m}, "sensitive_config": {"token": m}},
)
def make_organization_integration(tenant, **fields):
    from burrow.integrations.models import OrganizationIntegration

    defaults = {
        "kind": "vercel",
        "integration_id": f"icfg_{uuid.uuid4().hex[:16]}",
        "config": {"name": "Secret marketplace install"},
        "sensitive_config": {"token": f"vercel-{uuid.uuid4().hex}"},
        "created_by": tenant.user,
    }
    defaults.update(fields)
    return OrganizationIntegration.objects.create(organization=tenant.organization, **defaults)


@factory(
    "integrations.ProxyRecord",
    marked=lambda m: {"domain": f"{m}.example.com", "target_cname": f"{m}.burrow.example", "message": m},
)
def make_proxy_record(tenant, **fields):
    from burrow.integrations.models import ProxyRecord

    defaults = {
        "domain": f"secret-{uuid.uuid4().hex[:12]}.example.com",
        "target_cname": "secret.burrow.example",
        "created_by": tenant.user,
    }
    defaults.update(fields)
    return ProxyRecord.objects.create(organization=tenant.organization, **defaults)


@factory("integrations.OAuthState", marked=lambda m: {"next": f"/{m}"})
def make_oauth_state(tenant, **fields):
    from burrow.integrations.models import OAuthState

    defaults = {
        "nonce": uuid.uuid4().hex,
        "flow": "oauth",
        "kind": "slack",
        "user": tenant.user,
        "next": "/secret-next",
        "expires_at": timezone.now() + timedelta(minutes=10),
    }
    defaults.update(fields)
    return OAuthState.objects.create(team=tenant.team, **defaults)


def make(label: str, tenant, **fields):
    if label not in FACTORIES:
        raise LookupError(
            f"No factory for {label}: add one to tests/factories.py so tenant isolation is tested."
        )
    return FACTORIES[label](tenant, **fields)


def make_marked(label: str, tenant, marker: str, **fields):
    """An object of `label` whose marked fields all hold `marker`."""
    marked = MARKED_FIELDS.get(label, lambda _: {})
    return make(label, tenant, **{**marked(marker), **fields})


@factory("sharing.SessionRecording", marked=lambda m: {"session_id": m, "metadata": {"title": m}})
def make_session_recording(tenant, **fields):
    from burrow.sharing.models import SessionRecording

    defaults = {"session_id": f"secret-recording-{uuid.uuid4().hex[:12]}", "metadata": {"title": "Secret"}}
    defaults.update(fields)
    return SessionRecording.objects.create(team=tenant.team, **defaults)


@factory(
    "recordings.Recording",
    marked=lambda m: {"session_id": m, "distinct_id": m, "start_url": f"https://{m}.example.com/"},
)
def make_recording(tenant, **fields):
    """A recording's row (its snapshots are not needed to list or find it), started an hour ago."""
    from burrow.recordings.models import Recording

    now = timezone.now()
    defaults = {
        "session_id": f"secret-session-{uuid.uuid4().hex[:12]}",
        "distinct_id": "secret visitor",
        "start_url": "https://secret.example.com/",
        "start_time": now - timedelta(hours=1),
        "end_time": now,
    }
    defaults.update(fields)
    return Recording.objects.create(team=tenant.team, **defaults)


@factory("sharing.SharingConfiguration", marked=lambda m: {"access_token": m})
def make_sharing_configuration(tenant, **fields):
    """Shares a new recording unless a dashboard, insight or recording is given."""
    from burrow.sharing.models import SharingConfiguration

    if not {"dashboard", "insight", "recording"} & set(fields):
        fields["recording"] = make_session_recording(tenant)
    defaults = {"enabled": True, "settings": {"whitelabel": True}}
    defaults.update(fields)
    return SharingConfiguration.objects.create(team=tenant.team, **defaults)


@factory("sharing.SharePassword", marked=lambda m: {"note": m})
def make_share_password(tenant, **fields):
    from django.contrib.auth.hashers import make_password

    from burrow.sharing.models import SharePassword

    config = fields.pop("sharing_configuration", None) or make_sharing_configuration(
        tenant, password_required=True
    )
    defaults = {"password_hash": make_password(None), "note": "Secret note", "created_by": tenant.user}
    defaults.update(fields)
    return SharePassword.objects.create(sharing_configuration=config, **defaults)


@factory("domains.OrganizationDomain", marked=lambda m: {"domain": f"{m}.example.com", "saml_entity_id": m})
def make_organization_domain(tenant, **fields):
    from burrow.domains.models import OrganizationDomain

    defaults = {"domain": f"secret-{uuid.uuid4().hex[:12]}.example.com", "saml_entity_id": "Secret IdP"}
    defaults.update(fields)
    return OrganizationDomain.objects.create(organization=tenant.organization, **defaults)


@factory(
    "queries.DataSource",
    marked=lambda m: {"name": m, "secret": {"url": f"postgresql://reader:{m}@db.example.com/warehouse"}},
)
def make_data_source(tenant, **fields):
    from burrow.queries.models import DataSource

    defaults = {
        "name": "Secret warehouse",
        "kind": "postgresql",
        "secret": {"url": "postgresql://reader:secret@db.example.com/warehouse"},
        "created_by": tenant.user,
    }
    defaults.update(fields)
    return DataSource.objects.create(team=tenant.team, **defaults)


@factory("queries.QueryTask", marked=lambda m: {"query_id": m, "sql": f"SELECT '{m}'", "error_message": m})
def make_query_task(tenant, **fields):
    from burrow.queries.models import QueryTask

    now = timezone.now()
    defaults = {
        "query_id": uuid.uuid4().hex,
        "cache_key": "query_secret",
        "sql": "SELECT 'Secret query'",
        "status": QueryTask.Status.ERROR,
        "error_message": "Secret failure",
        "created_at": now,
        "expires_at": now + timedelta(days=1),
    }
    defaults.update(fields)
    return QueryTask.objects.create(team=tenant.team, **defaults)
