"""List endpoints cost a constant number of queries whatever the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    client.get(url)  # warm: last_used_at is written at most once a minute
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["dashboards/", "insights/", "activity_log/"])
def test_list_query_count_is_constant(tenant, path):
    def grow(n: int) -> None:
        for _ in range(n):
            dashboard = make("analytics.Dashboard", tenant, created_by=tenant.user)
            insight = make("analytics.Insight", tenant, created_by=tenant.user)
            tenant.client.patch(tenant.url(f"insights/{insight.id}/"), {"dashboards": [dashboard.id]})

    grow(2)
    small = queries_for(tenant.client, tenant.url(f"{path}?limit=2"))
    grow(20)
    large = queries_for(tenant.client, tenant.url(f"{path}?limit=22"))
    assert small == large
