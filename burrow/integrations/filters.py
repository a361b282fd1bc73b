"""`?kind=` on the integrations list."""

import django_filters

from burrow.core.filters import StrictChoiceFilter
from burrow.integrations.models import KINDS, Integration


class IntegrationFilter(django_filters.FilterSet):
    kind = StrictChoiceFilter(choices=list(KINDS), help_text="Only integrations of this kind.")

    class Meta:
        model = Integration
        fields: list[str] = []
