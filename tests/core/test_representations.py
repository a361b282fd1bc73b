"""Serializers that build their output directly (for speed on every row of a page) give exactly what
their declared DRF fields give: the fields stay the schema and the contract, the direct code the fast path."""

import datetime

import pytest
from rest_framework import serializers

from burrow.analytics.models import DashboardTile
from burrow.analytics.serializers import DashboardSerializer
from burrow.core.serializers import UserBasicSerializer, datetime_representation
from tests.factories import make_dashboard, make_insight

pytestmark = pytest.mark.django_db


def _by_fields(serializer: serializers.Serializer, instance) -> dict:
    """What DRF's field-by-field representation gives."""
    return dict(serializers.Serializer.to_representation(serializer, instance))


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {
            "hedgehog_config": None,
            "is_email_verified": None,
            "role_at_organization": None,
            "distinct_id": None,
        },
        {"hedgehog_config": {"color": "green", "skin": "robot", "extra": 1}, "is_email_verified": True},
        {"first_name": "Zoë", "last_name": "", "role_at_organization": "engineering"},
    ],
)
def test_a_user_as_drf_would_write_it(tenant, changes):
    for name, value in changes.items():
        setattr(tenant.user, name, value)
    tenant.user.save()
    serializer = UserBasicSerializer()
    assert serializer.to_representation(tenant.user) == _by_fields(serializer, tenant.user)


def test_a_dashboard_as_drf_would_write_it(tenant):
    board = make_dashboard(tenant, name="Board", description="Ünïcode", created_by=tenant.user)
    DashboardTile.objects.create(
        dashboard=board, insight=make_insight(tenant), layouts={"sm": {"x": 6, "y": 0}}
    )
    DashboardTile.objects.create(
        dashboard=board, insight=make_insight(tenant), layouts={"sm": {"x": 0, "y": 0}}
    )
    DashboardTile.objects.create(dashboard=board, insight=make_insight(tenant), deleted=True)
    DashboardTile.objects.create(dashboard=board, insight=make_insight(tenant, deleted=True))
    nobodys = make_dashboard(tenant, deleted=True)
    for dashboard in (board, nobodys):
        serializer = DashboardSerializer(context={})
        direct = serializer.to_representation(dashboard)
        assert direct == _by_fields(serializer, dashboard)
    tiles = DashboardSerializer(context={}).to_representation(board)["tiles"]
    assert [t["layouts"]["sm"]["x"] for t in tiles] == [0, 6]  # live ones only, in reading order


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 12, 7, 16, 30, 5, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 7, 16, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        None,
    ],
)
def test_moments_as_drf_writes_them(moment):
    assert datetime_representation(moment) == serializers.DateTimeField().to_representation(moment)
