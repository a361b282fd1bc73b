from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's limit/offset pagination as PostHog uses it: default 100, absolute links on the requested path."""

    default_limit = 100
