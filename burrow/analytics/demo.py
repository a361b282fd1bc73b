"""The demo dashboard of `burrow bootstrap --demo`: SQL insights over the demo warehouse (burrow.queries.demo),
one of each kind of chart, so a newcomer's first report shows live numbers with text beside them."""

from burrow.analytics import services
from burrow.analytics.models import Dashboard
from burrow.core.models import Team, User

DASHBOARD_NAME = "Demo: product overview"
# (name, display, SQL, layout on the 12-column grid)
INSIGHTS = [
    (
        "Daily signups",
        "ActionsLineGraph",
        "SELECT CAST(timestamp AS DATE) AS day, count(*) AS signups FROM signups\n"
        "WHERE timestamp >= current_date - INTERVAL 29 DAY GROUP BY day ORDER BY day",
        {"x": 0, "y": 0, "w": 12, "h": 5},
    ),
    (
        "Pageviews by browser, last 7 days",
        "ActionsBar",
        "SELECT browser, count(*) AS pageviews FROM pageviews\n"
        "WHERE timestamp >= current_date - INTERVAL 6 DAY GROUP BY browser ORDER BY pageviews DESC",
        {"x": 0, "y": 5, "w": 6, "h": 5},
    ),
    (
        "Revenue, last 30 days",
        "BoldNumber",
        "SELECT sum(amount) AS revenue FROM revenue WHERE day >= current_date - INTERVAL 29 DAY",
        {"x": 6, "y": 5, "w": 6, "h": 5},
    ),
    (
        "Top pages, last 7 days",
        "ActionsTable",
        "SELECT url, count(*) AS views, count(DISTINCT distinct_id) AS visitors FROM pageviews\n"
        "WHERE timestamp >= current_date - INTERVAL 6 DAY GROUP BY url ORDER BY views DESC LIMIT 10",
        {"x": 0, "y": 10, "w": 12, "h": 5},
    ),
]


def create_demo_dashboard(team: Team, user: User) -> Dashboard:
    """The dashboard and its insights (each a DataVisualizationNode over the team's default source)."""
    dashboard = services.create_dashboard(
        team, user, {"name": DASHBOARD_NAME, "description": "Live numbers from the demo warehouse."}
    )
    for name, display, sql, layout in INSIGHTS:
        query = {
            "kind": "DataVisualizationNode",
            "source": {"kind": "HogQLQuery", "query": sql},
            "display": display,
        }
        insight = services.create_insight(
            team, user, {"name": name, "query": query, "dashboards": [dashboard.id]}
        )
        services.set_tile_layouts(dashboard, insight, {"sm": layout})
    return dashboard
