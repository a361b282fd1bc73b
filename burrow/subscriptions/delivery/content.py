"""What a delivery shows: the insight (or up to six dashboard tiles in layout order) with stored pictures."""

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from burrow.analytics.charts import content_hash, display_of, render_png
from burrow.analytics.models import DashboardTile, ExportedAsset, Insight
from burrow.subscriptions.delivery.base import Report, ReportInsight
from burrow.subscriptions.models import Subscription, SubscriptionDelivery

logger = logging.getLogger(__name__)

MAX_ASSET_COUNT = 6
_ASSET_SALT = "burrow.exported-asset"


def asset_url(asset_id: int) -> str:
    """A public URL that shows the picture without credentials until it expires (ASSET_URL_MAX_AGE)."""
    token = signing.dumps(asset_id, salt=_ASSET_SALT, compress=True)
    return f"{settings.SITE_URL}/api/exported-assets/{token}.png"


def asset_id_from_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=_ASSET_SALT, max_age=settings.ASSET_URL_MAX_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


@dataclass(frozen=True)
class StoredPicture:
    asset_id: int
    png: bytes


# Stored pictures never change (a new result gets a new content hash) and go only with their insight, so
# each process keeps the latest few: thousands of deliveries of one report read the picture once.
_PICTURE_CACHE_SIZE = 64
_pictures: OrderedDict[tuple[int, str], StoredPicture] = OrderedDict()
_pictures_lock = threading.Lock()


def stored_picture(insight: Insight) -> StoredPicture:
    """The insight's picture for its current data: drawn once, shared by every subscription until it changes."""
    display = display_of(insight.query)
    digest = content_hash(insight.display_name, insight.result, display)
    key = (insight.id, digest)
    with _pictures_lock:
        if key in _pictures:
            _pictures.move_to_end(key)
            return _pictures[key]
    asset = ExportedAsset.objects.filter(insight=insight, content_hash=digest).first()
    if asset is None:
        png = render_png(insight.display_name, insight.result, display)
        asset = ExportedAsset.objects.create(
            team_id=insight.team_id, insight=insight, content_hash=digest, content=png
        )
    picture = StoredPicture(asset.id, bytes(asset.content))
    with _pictures_lock:
        _pictures[key] = picture
        if len(_pictures) > _PICTURE_CACHE_SIZE:
            _pictures.popitem(last=False)
    return picture


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
    return [t.insight for t in ordered[:MAX_ASSET_COUNT]], len(ordered)


def build_report(delivery: SubscriptionDelivery) -> Report:
    subscription = delivery.subscription
    insights, total = report_insights(subscription)
    report = Report(
        subscription=subscription,
        delivery=delivery,
        kind=subscription.resource_kind,
        name=subscription.resource_name,
        resource_url=_resource_url(subscription),
        subscription_url=subscription.url or settings.SITE_URL,
        summary=subscription.summary,
        total_insight_count=total,
    )
    for insight in insights:
        item = ReportInsight(
            insight_id=insight.id,
            short_id=insight.short_id,
            name=insight.display_name,
            url=f"{settings.SITE_URL}/insights/{insight.short_id}",
            result=insight.result,
        )
        try:
            picture = stored_picture(insight)
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
        report.insights.append(item)
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


def _resource_url(subscription: Subscription) -> str:
    if subscription.insight_id:
        return f"{settings.SITE_URL}/insights/{subscription.insight.short_id}"
    return f"{settings.SITE_URL}/dashboard/{subscription.dashboard_id}"
