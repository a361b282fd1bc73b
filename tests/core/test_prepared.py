"""Compiled queries (burrow/core/prepared.py) give exactly what the ORM gives for the same queryset, on
SQLite and PostgreSQL, and refuse querysets whose SQL would not stay the same from one value to the next."""

import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.test.utils import CaptureQueriesContext

from burrow.analytics.models import Dashboard, DashboardTile
from burrow.core.models import OrganizationMembership, Team
from burrow.core.prepared import PreparedQuery
from tests.factories import make_dashboard, make_insight

pytestmark = pytest.mark.django_db

DASHBOARD = PreparedQuery(
    lambda p: Dashboard.objects.select_related("created_by", "team").filter(team_id=p.team, id=p.pk)[:1],
    team=int,
    pk=int,
)
TEAM_WITH_LEVEL = PreparedQuery(
    lambda p: Team.objects.filter(id=p.team).annotate(
        level=Subquery(
            OrganizationMembership.objects.filter(
                organization_id=OuterRef("organization_id"), user__email=p.email
            ).values("level")[:1]
        )
    ),
    team=int,
    email=str,
)
TILE_ROWS = PreparedQuery(
    lambda p: DashboardTile.objects.filter(dashboard_id=p.dashboard).order_by("id").values("id", "layouts"),
    dashboard=int,
)


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_instances_and_their_related_objects_equal_the_orms(tenant, other_tenant):
    boards = [make_dashboard(tenant, name=name, created_by=tenant.user) for name in ("First", "Second")]
    for board in boards:  # one compiled query, run with different values
        ours = DASHBOARD.first(team=tenant.team.id, pk=board.id)
        orm = Dashboard.objects.select_related("created_by", "team").get(id=board.id)
        assert _fields(ours) == _fields(orm)
        assert _fields(ours.created_by) == _fields(orm.created_by)
        assert _fields(ours.team) == _fields(orm.team)
    assert DASHBOARD.first(team=other_tenant.team.id, pk=boards[0].id) is None


def test_a_missing_related_object_is_none(tenant):
    board = make_dashboard(tenant, created_by=None)
    assert DASHBOARD.first(team=tenant.team.id, pk=board.id).created_by is None


def test_annotations_and_string_parameters(tenant, other_tenant):
    member = TEAM_WITH_LEVEL.first(team=tenant.team.id, email=tenant.user.email)
    assert member.level == OrganizationMembership.objects.get(user=tenant.user).level
    assert TEAM_WITH_LEVEL.first(team=tenant.team.id, email=other_tenant.user.email).level is None


def test_values_give_dicts_with_converted_columns(tenant):
    board = make_dashboard(tenant)
    tiles = [
        DashboardTile.objects.create(dashboard=board, insight=make_insight(tenant), layouts={"sm": {"x": x}})
        for x in (0, 6)
    ]
    assert TILE_ROWS.all(dashboard=board.id) == [{"id": t.id, "layouts": t.layouts} for t in tiles]
    assert TILE_ROWS.all(dashboard=board.id + 1000) == []


def test_it_runs_through_djangos_cursor(tenant):
    """Query logging, CaptureQueriesContext and execute wrappers see it as any other query."""
    board = make_dashboard(tenant)
    with CaptureQueriesContext(connection) as captured:
        DASHBOARD.first(team=tenant.team.id, pk=board.id)
    assert len(captured) == 1
    assert str(board.id) in captured[0]["sql"]


def test_a_value_that_does_not_reach_the_sql_unchanged_is_refused():
    unused = PreparedQuery(lambda p: Team.objects.filter(id=1), team=int)
    with pytest.raises(
        TypeError, match="^prepared query parameter 'team' must reach the SQL once, unchanged$"
    ):
        unused.all(team=1)
    twice = PreparedQuery(lambda p: Team.objects.filter(id=p.team, project_id=p.team), team=int)
    with pytest.raises(TypeError, match="'team' must reach the SQL once"):
        twice.all(team=1)


def test_shapes_it_cannot_keep_are_refused():
    with pytest.raises(TypeError, match="^prepared query parameter 'ids': only int and str are supported$"):
        PreparedQuery(lambda p: Team.objects.filter(id__in=p.ids), ids=list).all(ids=[1])
    with pytest.raises(
        TypeError, match="^a prepared query cannot prefetch; prefetch from its results instead$"
    ):
        PreparedQuery(lambda p: Team.objects.filter(id=p.team).prefetch_related("project"), team=int).all(
            team=1
        )
    with pytest.raises(
        TypeError, match="^a prepared query gives model instances or, from .values\\(\\), dicts$"
    ):
        PreparedQuery(lambda p: Team.objects.filter(id=p.team).values_list("id"), team=int).all(team=1)


def test_it_compiles_once_per_database(tenant, monkeypatch):
    """The point of it: the second run binds new values to the SQL compiled by the first."""
    query = PreparedQuery(lambda p: Team.objects.filter(id=p.team), team=int)
    compiled = []
    real = query._compile
    monkeypatch.setattr(query, "_compile", lambda alias: compiled.append(alias) or real(alias))
    assert [t.id for t in query.all(team=tenant.team.id)] == [tenant.team.id]
    assert (
        query.all(team=tenant.team.id + 1000) == [] and query.first(team=tenant.team.id).id == tenant.team.id
    )
    assert compiled == ["default"]
