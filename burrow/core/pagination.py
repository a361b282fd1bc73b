"""PostHog's limit/offset pagination, with a ceiling on the page size that PostHog lacks: one request
cannot build a page of hundreds of megabytes."""

from django.conf import settings
from rest_framework import pagination

from burrow.core.ids import ID_MAX


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """Default 100 per page, absolute links on the requested path. A `limit` above the ceiling returns the
    capped page with working `next` links; an offset past anything a database can hold is an empty page."""

    default_limit = 100

    @property
    def max_limit(self) -> int:
        return settings.PAGE_SIZE_MAX

    def get_offset(self, request) -> int:
        # offset + limit must still fit in the database's 64-bit LIMIT/OFFSET.
        return min(super().get_offset(request), ID_MAX // 2)
