"""`/api/projects/:id/subscriptions/` (and the environments twin) with the delivery actions and the
delivery log, and the public `/unsubscribe` link."""

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.permissions import AllowAny
from rest_framework.renderers import StaticHTMLRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from burrow.analytics.models import Insight
from burrow.core.exceptions import Conflict, ServiceUnavailable
from burrow.core.filters import StableOrderingFilter
from burrow.core.health import broker_reachable
from burrow.core.renderers import JSONRenderer
from burrow.core.softdelete import SoftDeleteModelViewSet
from burrow.core.tenancy import TenantViewSetMixin
from burrow.subscriptions import services
from burrow.subscriptions.delivery.registry import all_channels, channel_for
from burrow.subscriptions.filters import SubscriptionDeliveryFilter, SubscriptionFilter
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.serializers import (
    DEFAULT_PREVIEW,
    SubscriptionDeliverySerializer,
    SubscriptionDetailSerializer,
    SubscriptionSerializer,
)
from burrow.subscriptions.triggers import BROKER_DOWN, DeliveryRefused, request_manual_delivery
from burrow.subscriptions.unsubscribe import read_unsubscribe_token

MAX_PREVIEW = 50
PREVIEW_PARAMETER = OpenApiParameter(
    "preview",
    OpenApiTypes.INT,
    description=f"How many upcoming delivery dates `next_deliveries` lists (1–{MAX_PREVIEW}, default {DEFAULT_PREVIEW}).",
)
DELETED_PARAMETER = OpenApiParameter(
    "deleted", OpenApiTypes.BOOL, description="Show only deleted (true) or only live (false) subscriptions."
)


@extend_schema_view(
    retrieve=extend_schema(parameters=[PREVIEW_PARAMETER]),
    create=extend_schema(
        description="For webhook targets the response also carries `webhook_secret` (Standard Webhooks "
        "signing secret). It is shown this once only."
    ),
    list=extend_schema(parameters=[DELETED_PARAMETER]),
)
class SubscriptionViewSet(SoftDeleteModelViewSet):
    scope_object = "subscription"
    serializer_class = SubscriptionSerializer
    queryset = Subscription.objects.select_related("created_by").prefetch_related(
        Prefetch("dashboard_export_insights", queryset=Insight.objects.only("id").order_by("id"))
    )
    filter_backends = [DjangoFilterBackend, SearchFilter, StableOrderingFilter]
    filterset_class = SubscriptionFilter
    search_fields = ["title", "insight__name", "insight__derived_name", "dashboard__name"]
    ordering_fields = ["created_at", "next_delivery_date", "title", "created_by__email"]
    ordering = ["-created_at"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return SubscriptionDetailSerializer
        return super().get_serializer_class()

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.action == "retrieve":
            context["preview"] = self._preview()
        return context

    def _preview(self) -> int:
        raw = self.request.query_params.get("preview")
        if raw in (None, ""):
            return DEFAULT_PREVIEW
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_PREVIEW:
            raise serializers.ValidationError({"preview": f"Must be an integer between 1 and {MAX_PREVIEW}."})
        return value

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(description="The report is on its way."),
            503: OpenApiResponse(description="The broker is unreachable: nothing was queued."),
        },
    )
    @action(methods=["post"], detail=True, url_path="test-delivery", required_scopes=["subscription:write"])
    def test_delivery(self, request: Request, *args, **kwargs) -> Response:
        subscription = self.get_object()
        if subscription.deleted:
            raise NotFound()
        if not broker_reachable():  # a 202 for a delivery no worker will ever be handed
            raise ServiceUnavailable(BROKER_DOWN)
        try:
            request_manual_delivery(subscription)
        except DeliveryRefused as exc:
            raise Conflict(str(exc)) from exc
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={200: inline_serializer("WebhookSecret", {"webhook_secret": serializers.CharField()})},
    )
    @action(
        methods=["post"],
        detail=True,
        url_path="rotate-webhook-secret",
        required_scopes=["subscription:write"],
    )
    def rotate_webhook_secret(self, request: Request, *args, **kwargs) -> Response:
        subscription = self.get_object()
        if subscription.deleted:
            raise NotFound()
        if channel_for(subscription.target_type).secret_field is None:
            signing = " or ".join(c.label.lower() for c in all_channels().values() if c.secret_field)
            raise ValidationError({"target_type": f"Only {signing} subscriptions have a signing secret."})
        return Response({"webhook_secret": services.rotate_secret(subscription)})


class SubscriptionDeliveryViewSet(
    TenantViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The delivery log of one subscription, newest first; `?status=` filters the list."""

    scope_object = "subscription"
    serializer_class = SubscriptionDeliverySerializer
    queryset = SubscriptionDelivery.objects.all()
    filterset_class = SubscriptionDeliveryFilter

    @property
    def filter_backends(self) -> list:
        return [DjangoFilterBackend] if self.action == "list" else []

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return queryset
        subscription_id = self.kwargs["subscription_id"]
        if (
            not str(subscription_id).isdigit()
            or not Subscription.objects.filter(id=subscription_id, team=self.team).exists()
        ):
            raise NotFound()
        return queryset.filter(subscription_id=subscription_id).order_by("-created_at", "-id")


class UnsubscribeView(APIView):
    """Unsubscribe links from report emails: no login, the signed token is the authority.

    Only a deliberate action unsubscribes: mail clients' RFC 8058 one-click POST, the confirmation page's
    button (a POST), or a GET that explicitly asks for JSON (PostHog's API clients). Any other GET or HEAD —
    a browser, or a mail security scanner opening every link in a mail — gets the confirmation page and
    changes nothing."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, StaticHTMLRenderer]  # HTML pages are rendered by `_page`

    @extend_schema(exclude=True)
    def get(self, request: Request) -> HttpResponse:
        token = request.query_params.get("token", "")
        if _asks_for_json(request):
            return Response({"success": bool(token) and unsubscribe(token)})
        payload = read_unsubscribe_token(token)
        return _page(request, "confirm" if payload else "invalid", token, payload)

    @extend_schema(exclude=True)
    def head(self, request: Request) -> HttpResponse:
        payload = read_unsubscribe_token(request.query_params.get("token", ""))
        return _page(request, "confirm" if payload else "invalid", "", payload)

    @extend_schema(exclude=True)
    def post(self, request: Request) -> HttpResponse:
        token = request.query_params.get("token") or request.POST.get("token", "")
        done = bool(token) and unsubscribe(token)
        if _accepted_types(request) & {"text/html", "application/xhtml+xml"}:
            return _page(request, "done" if done else "invalid", token, read_unsubscribe_token(token))
        return Response({"success": done})


def unsubscribe(token: str) -> bool:
    """Removes the token's address from its subscription; False for a bad or expired token."""
    payload = read_unsubscribe_token(token)
    return payload is not None and services.remove_recipient(payload["id"], payload["email"], payload["iat"])


def _accepted_types(request: Request) -> set[str]:
    """The media types the Accept header names explicitly (lower-cased, without parameters; q=0 excluded)."""
    accepted = set()
    for item in request.headers.get("Accept", "").split(","):
        media_type, *params = (part.strip().lower() for part in item.split(";"))
        if media_type and not any(
            p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params
        ):
            accepted.add(media_type)
    return accepted


def _asks_for_json(request: Request) -> bool:
    accepted = _accepted_types(request)
    return "application/json" in accepted and not accepted & {"text/html", "application/xhtml+xml"}


def _page(request: Request, state: str, token: str, payload: dict | None) -> HttpResponse:
    # The report is named only for a valid (signed) token: nothing is told about ids that were guessed.
    report = (
        Subscription.objects.filter(id=payload["id"]).select_related("insight", "dashboard").first()
        if payload
        else None
    )
    context = {"state": state, "token": token, "email": (payload or {}).get("email", ""), "report": report}
    response = render(request, "subscriptions/unsubscribe.html", context, status=200 if payload else 400)
    response["Cache-Control"] = "no-store"
    return response
