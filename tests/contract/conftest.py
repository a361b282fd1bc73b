"""The neighbours the tenant-isolation matrix sets against each other."""

import pytest

NEIGHBOURS = ["another organization", "sibling project", "sibling environment"]


@pytest.fixture(params=NEIGHBOURS)
def neighbours(request, tenant, other_tenant, make_sibling):
    """(kind, caller, victim): the caller tries to reach the victim's objects. Siblings are another project
    or another environment of the tenant's own project, in its organization and owned by the same person."""
    if request.param == "another organization":
        return request.param, other_tenant, tenant
    return request.param, tenant, make_sibling(tenant, request.param.split()[1])
