"""Guards that keep a new app's views from dropping tenancy."""

import pytest
from rest_framework import viewsets

from burrow.analytics.models import Insight
from burrow.core.tenancy import TenantViewSetMixin


def test_a_view_that_replaces_get_queryset_fails_at_import():
    with pytest.raises(TypeError, match="override safely_get_queryset"):

        class Careless(TenantViewSetMixin, viewsets.GenericViewSet):
            queryset = Insight.objects.all()

            def get_queryset(self):
                return Insight.objects.all()


def test_a_mixin_that_replaces_get_queryset_fails_too():
    class Unscoped:
        def get_queryset(self):
            return Insight.objects.all()

    with pytest.raises(TypeError):

        class Careless(Unscoped, TenantViewSetMixin, viewsets.GenericViewSet):
            queryset = Insight.objects.all()


def test_narrowing_through_safely_get_queryset_is_allowed():
    class Narrowing(TenantViewSetMixin, viewsets.GenericViewSet):
        queryset = Insight.objects.all()

        def safely_get_queryset(self, queryset):
            return queryset.filter(deleted=False)

    assert Narrowing.get_queryset is TenantViewSetMixin.get_queryset


@pytest.mark.django_db
@pytest.mark.parametrize("value", [1.5, 9223372036854775808, -1, 0, True, "1e3", [1]])
def test_team_scoped_references_refuse_what_cannot_be_an_id(tenant, value):
    from tests.factories import make_insight

    insight = make_insight(tenant)
    body = {
        "insight": value if value != 1.5 else insight.id + 0.5,
        "target_type": "email",
        "target_value": "a@example.com",
        "frequency": "daily",
        "start_date": "2030-01-01T00:00:00Z",
    }
    response = tenant.client.post(tenant.url("subscriptions/"), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["attr"] == "insight"
