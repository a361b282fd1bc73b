"""Delivery-side API: the delivery log, the test-delivery / rotate-webhook-secret actions, and the
signed picture URLs reports link to."""

from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.analytics.models import ExportedAsset
from burrow.core.exceptions import Conflict
from burrow.core.tenancy import TenantViewSetMixin
from burrow.subscriptions.delivery.content import asset_id_from_token
from burrow.subscriptions.delivery_serializers import SubscriptionDeliverySerializer
from burrow.subscriptions.models import Subscription, SubscriptionDelivery
from burrow.subscriptions.triggers import DeliveryRefused, request_manual_delivery

_STATUSES = sorted(SubscriptionDelivery.Status.values)


class DeliveryActionsMixin:
    """Actions on a subscription that belong to delivery; mixed into SubscriptionViewSet."""

    @action(methods=["post"], detail=True, url_path="test-delivery", required_scopes=["subscription:write"])
    def test_delivery(self, request: Request, *args, **kwargs) -> Response:
        subscription = self.get_object()
        if subscription.deleted:
            raise NotFound()
        try:
            request_manual_delivery(subscription)
        except DeliveryRefused as exc:
            raise Conflict(str(exc)) from exc
        return Response(status=status.HTTP_202_ACCEPTED)

    @action(
        methods=["post"],
        detail=True,
        url_path="rotate-webhook-secret",
        required_scopes=["subscription:write"],
    )
    def rotate_webhook_secret(self, request: Request, *args, **kwargs) -> Response:
        subscription = self.get_object()
        secret = subscription.set_new_webhook_secret()
        Subscription.objects.filter(id=subscription.id).update(webhook_secret=subscription.webhook_secret)
        return Response({"webhook_secret": secret})


class SubscriptionDeliveryViewSet(
    TenantViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The delivery log of one subscription, newest first; `?status=` filters."""

    scope_object = "subscription"
    serializer_class = SubscriptionDeliverySerializer
    queryset = SubscriptionDelivery.objects.all()
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SubscriptionDelivery.objects.none()
        subscription_id = self.kwargs["subscription_id"]
        if (
            not str(subscription_id).isdigit()
            or not Subscription.objects.filter(id=subscription_id, team=self.team).exists()
        ):
            raise NotFound()
        queryset = (
            super().get_queryset().filter(subscription_id=subscription_id).order_by("-created_at", "-id")
        )
        wanted = self.request.query_params.get("status")
        if wanted is not None and self.action == "list":
            if wanted not in _STATUSES:
                raise ValidationError({"status": f"Must be one of: {', '.join(_STATUSES)}."})
            queryset = queryset.filter(status=wanted)
        return queryset


def exported_asset(request: HttpRequest, token: str) -> HttpResponse:
    """A stored picture, for anyone holding an unexpired signed link (Slack fetches these)."""
    asset_id = asset_id_from_token(token)
    asset = (
        ExportedAsset.objects.filter(id=asset_id).only("content", "export_format").first()
        if asset_id
        else None
    )
    if asset is None:
        raise Http404()
    response = HttpResponse(bytes(asset.content), content_type=asset.export_format)
    response["Cache-Control"] = "private, max-age=3600"
    return response
