"""What a delivery shows: the insight (or up to six dashboard tiles in layout order) with stored pictures."""

import logging

from burrow.analytics.assets import asset_url, stored_picture
from burrow.analytics.computing import compute_all
from burrow.analytics.models import DashboardTile, Insight
from burrow.links import insight_url
from burrow.subscriptions.delivery.base import Report, ReportInsight
from burrow.subscriptions.models import MAX_REPORT_INSIGHTS, Subscription, SubscriptionDelivery

logger = logging.getLogger(__name__)
# A delivery waits this long for one of its project's query slots (other deliveries and pages use them too).
DELIVERY_SLOT_WAIT = 60


def report_insights(subscription: Subscription) -> tuple[list[Insight], int]:
    """The insights to show (at most six) and how many the selection holds in total."""
    if subscription.insight_id:
        return [subscription.insight], 1
    tiles = DashboardTile.objects.filter(
        dashboard_id=subscription.dashboard_id, deleted=False, insight__deleted=False
    ).select_related("insight")
    selected = set(subscription.dashboard_export_insights.values_list("id", flat=True))
    ordered = sorted(
        (t for t in tiles if not selected or t.insight_id in selected),
        key=lambda t: (*t.layout_position, t.id),
    )
    return [t.insight for t in ordered[:MAX_REPORT_INSIGHTS]], len(ordered)


def build_report(delivery: SubscriptionDelivery) -> Report:
    subscription = delivery.subscription
    insights, total = report_insights(subscription)
    report = Report(
        subscription=subscription,
        delivery=delivery,
        kind=subscription.resource_kind,
        name=subscription.resource_name,
        resource_url=subscription.resource_url,
        subscription_url=subscription.url,
        summary=subscription.summary,
        total_insight_count=total,
    )
    # Every insight whose query is SQL is computed now, once: picture, text and rows come from that answer.
    computed = compute_all(insights, refresh="force_blocking", slot_wait=DELIVERY_SLOT_WAIT)
    for insight in insights:
        item = ReportInsight(
            insight_id=insight.id,
            short_id=insight.short_id,
            name=insight.display_name,
            url=insight_url(subscription.team_id, insight.short_id),
            result=insight.result,
        )
        report.insights.append(item)
        answer = computed.get(insight.id)
        if answer is not None:
            if answer.error:
                logger.warning(
                    "insight not computed",
                    extra={"insight_id": insight.id, "delivery_id": str(delivery.id), "error": answer.error},
                )
                item.result, item.error = None, answer.error
                continue
            item.result, item.summary = answer.result, answer.summary
            item.columns, item.rows = answer.columns, answer.rows
        try:
            picture = stored_picture(insight, item.result)
            item.asset_id, item.png, item.image_url = (
                picture.asset_id,
                picture.png,
                asset_url(picture.asset_id),
            )
        except Exception as exc:  # a picture that cannot be drawn must not stop the report
            logger.exception(
                "insight export failed", extra={"insight_id": insight.id, "delivery_id": str(delivery.id)}
            )
            item.error = f"Could not render this insight ({type(exc).__name__})."
    return report


def snapshot(report: Report) -> dict:
    return {
        "total_insight_count": report.total_insight_count,
        "exported_asset_ids": [i.asset_id for i in report.insights if i.asset_id],
        "insights": [
            {
                "id": i.insight_id,
                "short_id": i.short_id,
                "name": i.name,
                "asset_id": i.asset_id,
                "error": i.error,
            }
            for i in report.insights
        ],
    }
