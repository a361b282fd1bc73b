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
