"""The subscription pages report mails link to: one subscription under the insight or dashboard it reports on
(`/project/:id/insights/:short_id/subscriptions/:id`, `/project/:id/dashboard/:id/subscriptions/:id`) and a
project's list (`/project/:id/subscriptions`).

They are `MemberPage`s: tenancy and membership are the API's checks. Every change goes through the path the
API takes: "Send now" is a test delivery (`request_manual_delivery`, so a double click sends one report and
the second click hears "already sending"), "Unsubscribe me" is the unsubscribe link's
`services.remove_recipient`, and the edit form is validated by the API's serializer, which saves through
`services.update`. A form that worked answers 303 back to the page (a reload sends nothing again)."""

import re
import time
from datetime import UTC
from typing import Any

from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.views import APIView

from burrow.analytics.models import Dashboard, Insight
from burrow.analytics.pages import MemberPage, PageMixin, member_teams
from burrow.core.ids import parse_id
from burrow.links import (
    dashboard_path,
    insight_path,
    project_home_path,
    project_subscriptions_path,
    subscription_path,
)
from burrow.subscriptions import services
from burrow.subscriptions.delivery.registry import channel_for
from burrow.subscriptions.models import Subscription, SubscriptionDelivery, split_addresses
from burrow.subscriptions.serializers import SubscriptionSerializer
from burrow.subscriptions.triggers import (
    DISABLED_MESSAGE,
    IN_PROGRESS_MESSAGE,
    DeliveryRefused,
    request_manual_delivery,
)
from burrow.subscriptions.views import SubscriptionViewSet

UPCOMING = 5
LOG_ROWS = 20
LIST_ROWS = 500
NOTICES = {
    "sent": "The report is on its way. It appears in the delivery log below as soon as it is sent.",
    "saved": "Saved.",
    "unsubscribed": "You will no longer receive this report.",
}
REFUSALS = {
    IN_PROGRESS_MESSAGE: "A report is already being sent. It will arrive in a moment; the delivery log below "
    "shows its progress.",
    DISABLED_MESSAGE: "This subscription is disabled, so nothing was sent. Turn it back on to send it again.",
}
WEEKDAYS = [choice.value for choice in Subscription.Weekday]
POSITIONS = [(1, "first"), (2, "second"), (3, "third"), (4, "fourth"), (-1, "last")]
FIELD_LABELS = {
    "target_value": "Recipients",
    "byweekday": "Days",
    "bysetpos": "Which day",
    "start_date": "Starting",
}
TRIGGERS = {"scheduled": "Scheduled", "manual": "Sent now", "target_change": "Invitation"}
_ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")


class SubscriptionPage(MemberPage):
    queryset = Subscription.objects.filter(deleted=False).select_related("insight", "dashboard", "created_by")
    lookup_url_kwarg = "subscription_id"
    # The API's own permission classes for subscriptions: what it lets a member write, the page lets too.
    permission_classes = SubscriptionViewSet.permission_classes

    def safely_get_queryset(self, queryset):
        """Only under the insight or dashboard the URL names, as the mail links it."""
        if "short_id" in self.kwargs:
            return queryset.filter(insight__short_id=self.kwargs["short_id"], insight__deleted=False)
        dashboard_id = parse_id(self.kwargs.get("dashboard_id"))
        if dashboard_id is None:
            return queryset.none()
        return queryset.filter(dashboard_id=dashboard_id, insight__isnull=True, dashboard__deleted=False)

    def get(self, request: Request, **kwargs: str) -> HttpResponse:
        subscription = self.get_object()
        return self._page(subscription, notice=NOTICES.get(request.query_params.get("notice", "")))

    def post(self, request: Request, **kwargs: str) -> HttpResponse:
        subscription = self.get_object()
        action = request.data.get("action")
        if action == "send":
            return self._send_now(subscription)
        if action == "unsubscribe":
            return self._unsubscribe_me(subscription)
        if action == "edit":
            if not self.may_write():
                raise PermissionDenied()
            return self._edit(subscription)
        return self._page(subscription, status=400)

    def _send_now(self, subscription: Subscription) -> HttpResponse:
        try:
            request_manual_delivery(subscription)
        except DeliveryRefused as refused:
            return self._page(subscription, notice=REFUSALS.get(str(refused), str(refused)), status=409)
        return self._back(subscription, "sent")

    def _unsubscribe_me(self, subscription: Subscription) -> HttpResponse:
        services.remove_recipient(subscription.id, self.request.user.email, time.time())
        if Subscription.objects.filter(id=subscription.id, deleted=False).exists():
            return self._back(subscription, "unsubscribed")
        # The last recipient left: the subscription is gone, its project's list remains.
        return HttpResponseRedirect(
            f"{project_subscriptions_path(self.team.id)}?notice=unsubscribed", status=303
        )

    def _edit(self, subscription: Subscription) -> HttpResponse:
        form = self.request.data
        data: dict[str, Any] = {
            "frequency": form.get("frequency"),
            "interval": form.get("interval"),
            "byweekday": form.getlist("byweekday") or None,
            "bysetpos": form.get("bysetpos") or None,
            "start_date": form.get("start_date"),
        }
        if channel_for(subscription.target_type).lists_addresses:
            data["target_value"] = ",".join(_ADDRESS_SEPARATORS.split(form.get("target_value", "").strip()))
        serializer = SubscriptionSerializer(
            subscription, data=data, partial=True, context={"team": self.team, "request": self.request}
        )
        if not serializer.is_valid():
            return self._page(subscription, errors=_messages(serializer.errors), form=data, status=400)
        serializer.save()
        return self._back(subscription, "saved")

    def may_write(self) -> bool:
        """Whether the API would let this member change the subscription: its permission classes, asked
        about a write."""
        write = _AsWrite(self.request)
        try:
            return all(permission.has_permission(write, self) for permission in self.get_permissions())
        except APIException:
            return False

    def _back(self, subscription: Subscription, notice: str) -> HttpResponse:
        return HttpResponseRedirect(f"{page_path(subscription)}?notice={notice}", status=303)

    def _page(
        self,
        subscription: Subscription,
        notice: str | None = None,
        errors: list[str] | None = None,
        form: dict | None = None,
        status: int = 200,
    ) -> HttpResponse:
        channel = channel_for(subscription.target_type)
        recipients = channel.addresses(subscription.target_value)
        email = (self.request.user.email or "").lower()
        form = form or {
            "frequency": subscription.frequency,
            "interval": subscription.interval,
            "byweekday": subscription.byweekday or [],
            "bysetpos": subscription.bysetpos,
            "start_date": subscription.start_date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
            "target_value": subscription.target_value,
        }
        context = self.page_context(
            subscription=subscription,
            resource_path=resource_path(subscription),
            summary=subscription.summary,
            channel=channel,
            recipients=recipients,
            is_recipient=email in {address.lower() for address in recipients},
            upcoming=_upcoming(subscription),
            deliveries=[_log_row(delivery) for delivery in _log(subscription)],
            may_edit=self.may_write(),
            form=form,
            form_start_date=str(form.get("start_date") or "")[:16],
            form_recipients="\n".join(split_addresses(form.get("target_value"))),
            form_weekdays=set(form.get("byweekday") or []),
            form_position=str(form.get("bysetpos") or ""),
            frequencies=[choice.value for choice in Subscription.Frequency],
            weekdays=WEEKDAYS,
            positions=POSITIONS,
            notice=notice,
            errors=errors or [],
        )
        return render(self.request, "subscriptions/pages/subscription.html", context, status=status)


class ProjectSubscriptionsPage(MemberPage):
    queryset = Subscription.objects.filter(deleted=False).select_related("insight", "dashboard")

    def get(self, request: Request, **kwargs: str) -> HttpResponse:
        subscriptions = list(self.get_queryset().order_by("-created_at", "-id")[: LIST_ROWS + 1])
        rows = [
            {
                "subscription": s,
                "path": page_path(s),
                "resource_path": resource_path(s),
                "channel": channel_for(s.target_type),
            }
            for s in subscriptions[:LIST_ROWS]
        ]
        context = self.page_context(
            rows=rows,
            more=len(subscriptions) > LIST_ROWS,
            notice=NOTICES.get(request.query_params.get("notice", "")),
        )
        return render(request, "subscriptions/pages/list.html", context)


HOME_ROWS = 20


class ProjectHomePage(MemberPage):
    """`/project/:id`: where a member lands after signing in — the project's dashboards, insights and
    subscriptions (next delivery, last status), and the member's other projects."""

    queryset = Subscription.objects.filter(deleted=False).select_related("insight", "dashboard")

    def get(self, request: Request, **kwargs: str) -> HttpResponse:
        team = self.team
        last_status = SubscriptionDelivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at")
        subscriptions = list(
            self.get_queryset()
            .annotate(last_status=Subquery(last_status.values("status")[:1]))
            .order_by("-created_at", "-id")[:HOME_ROWS]
        )
        context = self.page_context(
            dashboards=Dashboard.objects.filter(team=team, deleted=False).order_by("-id")[:HOME_ROWS],
            insights=Insight.objects.filter(team=team, deleted=False)
            .only("id", "short_id", "name", "derived_name")
            .order_by("-id")[:HOME_ROWS],
            subscriptions=[{"subscription": s, "path": page_path(s)} for s in subscriptions],
            projects=list(member_teams(request.user).select_related("project").order_by("id")),
        )
        return render(request, "subscriptions/pages/home.html", context)


class SiteRoot(PageMixin, APIView):
    """`/`: the signed-in member's home (their current project, else the first of theirs); the sign-in page
    for anyone else."""

    def get(self, request: Request) -> HttpResponse:
        teams = member_teams(request.user)
        current = request.user.current_team_id
        team_id = (
            current
            if current and teams.filter(id=current).exists()
            else teams.order_by("id").values_list("id", flat=True).first()
        )
        if team_id is None:
            return render(request, "subscriptions/pages/no_project.html", {"user": request.user})
        return HttpResponseRedirect(project_home_path(team_id))


class _AsWrite:
    """A request as permission classes see a write of it (their checks may depend on the method)."""

    method = "PATCH"

    def __init__(self, request: Request) -> None:
        self._wrapped = request

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


def page_path(subscription: Subscription) -> str:
    short_id = subscription.insight.short_id if subscription.insight_id else None
    return subscription_path(
        subscription.team_id,
        subscription.id,
        dashboard_id=subscription.dashboard_id,
        insight_short_id=short_id,
    )


def resource_path(subscription: Subscription) -> str:
    if subscription.insight_id:
        return insight_path(subscription.team_id, subscription.insight.short_id)
    return dashboard_path(subscription.team_id, subscription.dashboard_id)


def _upcoming(subscription: Subscription) -> list:
    return subscription.upcoming_deliveries(UPCOMING) if subscription.enabled else []


def _log(subscription: Subscription) -> list[SubscriptionDelivery]:
    """The newest deliveries, in the delivery log API's order."""
    deliveries = SubscriptionDelivery.objects.filter(subscription=subscription)
    return list(deliveries.order_by("-created_at", "-id")[:LOG_ROWS])


def _log_row(delivery: SubscriptionDelivery) -> dict[str, Any]:
    results = [
        {
            "recipient": result.get("recipient", ""),
            "status": "sent" if result.get("status") == "success" else result.get("status", ""),
            "error": _error_text(result.get("error")),
        }
        for result in delivery.recipient_results or []
        if isinstance(result, dict)
    ]
    return {
        "delivery": delivery,
        "trigger": TRIGGERS.get(delivery.trigger_type, delivery.trigger_type),
        "results": results,
        "error": _error_text(delivery.error),
    }


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return str(error or "")


def _messages(errors: Any, field: str | None = None) -> list[str]:
    """The serializer's errors as sentences, each naming its field."""
    if isinstance(errors, dict):
        return [
            m
            for name, value in errors.items()
            for m in _messages(value, None if name == "non_field_errors" else name)
        ]
    if isinstance(errors, list):
        return [m for value in errors for m in _messages(value, field)]
    label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize()) if field else ""
    return [f"{label}: {errors}" if label else str(errors)]
