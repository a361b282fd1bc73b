"""Exported assets: an insight's chart stored as a PNG once per version of its data, and the signed,
expiring public links that show it without credentials (report mails, Slack, share pages)."""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing

from burrow.analytics.charts import content_hash, display_of, render_png
from burrow.analytics.models import ExportedAsset, Insight
from burrow.links import exported_asset_url

_ASSET_SALT = "burrow.exported-asset"


def asset_url(asset_id: int) -> str:
    """A public URL that shows the picture without credentials until it expires (ASSET_URL_MAX_AGE)."""
    return exported_asset_url(signing.dumps(asset_id, salt=_ASSET_SALT, compress=True))


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


def stored_picture(insight: Insight, result: Any) -> StoredPicture:
    """The picture of `result` (the insight's stored one, or what its query computed): drawn once, shared by
    every subscription until the data changes."""
    display = display_of(insight.query)
    digest = content_hash(insight.display_name, result, display)
    key = (insight.id, digest)
    with _pictures_lock:
        if key in _pictures:
            _pictures.move_to_end(key)
            return _pictures[key]
    asset = ExportedAsset.objects.filter(insight=insight, content_hash=digest).first()
    if asset is None:
        png = render_png(insight.display_name, result, display)
        asset = ExportedAsset.objects.create(
            team_id=insight.team_id, insight=insight, content_hash=digest, content=png
        )
    picture = StoredPicture(asset.id, bytes(asset.content))
    with _pictures_lock:
        _pictures[key] = picture
        if len(_pictures) > _PICTURE_CACHE_SIZE:
            _pictures.popitem(last=False)
    return picture
