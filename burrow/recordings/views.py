"""`/api/projects/:id/session_recordings/` (and the environments twin): list, retrieve, delete, and the
snapshots of one recording in the reference's two steps (its sources, then their content).

A share link's `?sharing_access_token=` reads exactly the shared recording and its snapshots."""

import re
from datetime import UTC, datetime, timedelta

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.core.readcredentials import ObjectGrantReadMixin
from burrow.core.tenancy import TenantViewSetMixin
from burrow.recordings import services
from burrow.recordings.models import Recording
from burrow.recordings.serializers import RecordingSerializer

BLOB_SOURCE = "blob_v2"
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
_RELATIVE = re.compile(r"^-(\d{1,5})([hdwmy])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_moment(name: str, raw: str) -> datetime:
    """`-3d`, `-12h`, `-2w`, `-1m`, `-1y` (before now) or an ISO 8601 date or time (UTC unless it says)."""
    relative = _RELATIVE.match(raw)
    if relative:
        count, unit = int(relative.group(1)), relative.group(2)
        step = _UNITS.get(unit) or timedelta(days=30 if unit == "m" else 365)
        return timezone.now() - count * step
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: [f"{raw!r} is not a date: use ISO 8601 or -3d, -12h, -2w."]}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bounded_int(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= maximum:
        raise ValidationError({name: [f"A whole number from 0 to {maximum}."]})
    return int(raw)


class RecordingViewSet(
    ObjectGrantReadMixin,
    TenantViewSetMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_object = "session_recording"
    scope_object_read_actions = ["list", "retrieve", "snapshots"]
    granted_actions = ("retrieve", "snapshots")
    serializer_class = RecordingSerializer
    queryset = Recording.objects.all()
    lookup_field = "session_id"
    lookup_url_kwarg = "recording_id"
    lookup_value_regex = r"[^/]+"

    def granted_object_id(self, recording: Recording) -> str:
        return recording.session_id

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", str, description="Start of the range: ISO 8601 or -3d (default)."),
            OpenApiParameter("date_to", str, description="End of the range: ISO 8601 or -1h (default: now)."),
            OpenApiParameter("limit", int, description=f"At most this many (default {DEFAULT_LIMIT})."),
            OpenApiParameter("offset", int, description="Skip this many."),
        ],
        responses={200: OpenApiTypes.OBJECT},
        description="Recordings that started in the range, newest first, with `has_next`.",
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        params = request.query_params
        date_from = parse_moment("date_from", params.get("date_from") or "-3d")
        queryset: QuerySet = self.get_queryset().filter(start_time__gte=date_from)
        if params.get("date_to"):
            queryset = queryset.filter(start_time__lte=parse_moment("date_to", params["date_to"]))
        limit = _bounded_int(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        offset = _bounded_int(request, "offset", 0, 10**9)
        page = list(queryset.order_by("-start_time", "-id")[offset : offset + limit + 1])
        return Response(
            {"results": self.get_serializer(page[:limit], many=True).data, "has_next": len(page) > limit}
        )

    def perform_destroy(self, instance: Recording) -> None:
        services.delete_recording(instance)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "source", str, description=f"`{BLOB_SOURCE}` for content; none for the sources."
            ),
            OpenApiParameter("blob_key", str, description="One source's content."),
            OpenApiParameter("start_blob_key", str, description="The first of a range of sources."),
            OpenApiParameter("end_blob_key", str, description="The last of a range of sources."),
        ],
        responses={200: OpenApiTypes.OBJECT},
        description=(
            'Without `source`: `{"sources": [...]}`, one per stored block in time order. With '
            f"`source={BLOB_SOURCE}` and `blob_key` (or `start_blob_key`..`end_blob_key`): the blocks' rrweb "
            "events as JSON lines `[window_id, event]`."
        ),
    )
    @action(methods=["get"], detail=True)
    def snapshots(self, request: Request, *args, **kwargs):
        return snapshots_response(request, self.get_object())


def snapshots_response(request: Request, recording: Recording):
    """The snapshots API of one recording (also served under a share page's own path)."""
    blocks = services.blocks_of(recording)
    source = request.query_params.get("source")
    if source is None:
        return Response(
            {
                "sources": [
                    {
                        "source": BLOB_SOURCE,
                        "start_timestamp": block.first_timestamp,
                        "end_timestamp": block.last_timestamp,
                        "blob_key": str(number),
                    }
                    for number, block in enumerate(blocks)
                ]
            }
        )
    if source != BLOB_SOURCE:
        raise ValidationError({"source": [f"Invalid source: {source!r}; use {BLOB_SOURCE}."]})
    params = request.query_params
    first_raw = params.get("start_blob_key", params.get("blob_key"))
    last_raw = params.get("end_blob_key", params.get("blob_key"))
    if first_raw is None or last_raw is None:
        raise ValidationError({"blob_key": ["Name a blob_key, or start_blob_key and end_blob_key."]})
    if not (first_raw.isdigit() and last_raw.isdigit()) or int(first_raw) > int(last_raw):
        raise ValidationError({"blob_key": ["Blob keys are the sources' numbers, first before last."]})
    if int(last_raw) >= len(blocks):
        return Response(
            {
                "type": "invalid_request",
                "code": "not_found",
                "detail": "No such blob_key.",
                "attr": "blob_key",
            },
            status=status.HTTP_404_NOT_FOUND,
        )
    chosen = blocks[int(first_raw) : int(last_raw) + 1]
    response = StreamingHttpResponse(services.block_lines(chosen), content_type="application/jsonl")
    response["Cache-Control"] = "no-store"
    return response
