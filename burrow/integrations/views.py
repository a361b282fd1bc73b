"""`/api/projects/:id/integrations/` (and the environments twin): list, retrieve, connect, disconnect, the
OAuth `authorize` redirect, one route per provider action (GitHub's `github/…`, a sender domain's
`email/verify`) and per provider look-up; and `/api/organizations/:id/integrations/`; Domain Connect
(`domain-connect/…`) and `/api/organizations/:id/proxy_records/`. Views parse and authorise; the service
modules do the work."""

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from burrow.core.permissions import OrganizationAdminWritePermission
from burrow.core.tenancy import TenantViewSetMixin
from burrow.integrations import (
    consent,
    domain_connect,
    proxy_records,
    services,
    tokens,
    unserved_lookups,
)
from burrow.integrations.filters import IntegrationFilter
from burrow.integrations.models import Integration, OrganizationIntegration, ProxyRecord
from burrow.integrations.oauth import bind_browser
from burrow.integrations.providers import lookups, registry
from burrow.integrations.providers.base import Action, ActionRequest, Lookup, Provider
from burrow.integrations.serializers import (
    DomainConnectApplyURLRequestSerializer,
    DomainConnectApplyURLSerializer,
    DomainConnectCheckSerializer,
    IntegrationCreateSerializer,
    IntegrationSerializer,
    OrganizationIntegrationSerializer,
    ProxyRecordCreateSerializer,
    ProxyRecordSerializer,
)
from burrow.integrations.unserved_lookups import UNSERVED_LOOKUPS, UnservedLookup

READ = ["integration:read"]
WRITE = ["integration:write"]


class IntegrationViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A project's connections to providers. PATCH and PUT answer 405: reconnect to change one."""

    scope_object = "integration"
    serializer_class = IntegrationSerializer
    queryset = Integration.objects.select_related("created_by", "team")
    filterset_class = IntegrationFilter

    @property
    def filter_backends(self) -> list:
        return [DjangoFilterBackend] if self.action == "list" else []

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        annotations = {}
        for provider in registry().values():
            annotations.update(provider.list_annotations())
        return queryset.annotate(**annotations).order_by("id")

    @extend_schema(request=IntegrationCreateSerializer, responses={201: IntegrationSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Connects an account: an OAuth callback's `{"code", "state"}` (state from `authorize/`, for the same
        user and project), Twilio's `{"account_sid", "auth_token"}` or GitHub's `{"installation_id", "state",
        "code"}`. Connecting an account the project already has updates that integration."""
        body = IntegrationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        integration, _ = services.connect(
            self.team, request.user, body.validated_data["kind"], body.validated_data["config"]
        )
        return Response(self.get_serializer(integration).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        """Disconnects (and revokes at the provider where it can); refused while an enabled subscription
        still delivers through the integration."""
        services.delete(self.get_object(), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, description="slack, linear, linkedin-ads or github."),
            OpenApiParameter(
                "next", OpenApiTypes.STR, description="A path on this site to land on afterwards."
            ),
        ],
        responses={302: OpenApiResponse(description="Redirect to the provider's consent page.")},
    )
    @action(methods=["get"], detail=False, url_path="authorize", required_scopes=WRITE)
    def authorize(self, request: Request, *args, **kwargs) -> Response:
        """Starts connecting a provider: redirects to its consent page with a signed, single-use state (10
        minutes) for this user and project; the provider sends the person back to
        `/integrations/<kind>/callback`, which connects and redirects to `next`."""
        started = consent.authorize(
            request.user, self.team, request.query_params.get("kind"), request.query_params.get("next")
        )
        response = Response(
            status=status.HTTP_302_FOUND, headers={"Location": started.url, "Cache-Control": "no-store"}
        )
        bind_browser(response, started.state, request.query_params.get("kind"))
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "domain",
                OpenApiTypes.STR,
                required=True,
                description="The domain to set up, e.g. ph.example.com.",
            )
        ],
        responses={200: DomainConnectCheckSerializer},
    )
    @action(methods=["get"], detail=False, url_path="domain-connect/check", required_scopes=READ)
    def domain_connect_check(self, request: Request, *args, **kwargs) -> Response:
        """Whether the domain's DNS provider supports one-click set-up (Domain Connect), and which."""
        return Response(domain_connect.check(request.query_params.get("domain")))

    @extend_schema(
        request=DomainConnectApplyURLRequestSerializer, responses={200: DomainConnectApplyURLSerializer}
    )
    @action(methods=["post"], detail=False, url_path="domain-connect/apply-url", required_scopes=WRITE)
    def domain_connect_apply_url(self, request: Request, *args, **kwargs) -> Response:
        """Unified endpoint for generating Domain Connect apply URLs.

        Accepts a context ("email" or "proxy") and the relevant resource ID. The backend resolves the domain,
        template variables, and service ID based on context, then builds the signed apply URL."""
        body = DomainConnectApplyURLRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        url = domain_connect.apply_url(self.team, **body.validated_data)
        return Response({"url": url})


def _action_route(provider: Provider, provider_action: Action):
    """`POST …/integrations/<url_path>/` (or `…/integrations/:id/<url_path>/`) for one provider action."""

    def run(self, request: Request, *args, **kwargs) -> Response:
        integration = self.get_object() if provider_action.detail else None
        body = {}
        if provider_action.request is not None:
            given = provider_action.request(data=request.data)
            given.is_valid(raise_exception=True)
            body = given.validated_data
        result = provider_action.run(ActionRequest(request.user, self.team, body, integration))
        response = Response(
            self.get_serializer(result.integration).data if result.integration is not None else result.body
        )
        if result.started_state:
            bind_browser(response, result.started_state, provider.kind)  # a front end's fetch keeps it
        return response

    run.__name__ = provider_action.name
    run.__doc__ = provider_action.description
    route = action(
        methods=["post"],
        detail=provider_action.detail,
        url_path=provider_action.url_path,
        required_scopes=WRITE,
    )(run)
    response = provider_action.response or IntegrationSerializer
    return extend_schema(request=provider_action.request, responses={200: response})(route)


for _provider in registry().values():
    for _action in _provider.actions:
        setattr(IntegrationViewSet, _action.name, _action_route(_provider, _action))


def _lookup_route(name: str, lookup: Lookup):
    """`GET …/integrations/:id/<name>/` for one provider look-up."""

    def run(self, request: Request, *args, **kwargs) -> Response:
        return Response(tokens.run_lookup(self.get_object(), name, request.query_params, request.user))

    run.__name__ = name
    run.__doc__ = lookup.description
    component = "".join(part.capitalize() for part in name.split("_")) + "Response"
    route = action(methods=["get"], detail=True, url_path=name, required_scopes=READ)(run)
    return extend_schema(
        parameters=list(lookup.parameters),
        responses={200: inline_serializer(component, lookup.response)},
    )(route)


for _name, (_provider, _lookup) in sorted(lookups().items()):
    setattr(IntegrationViewSet, _name, _lookup_route(_name, _lookup))


def _unserved_route(lookup: UnservedLookup):
    """`GET …/integrations/:id/<name>/` for a reference look-up Burrow does not make: always a 400."""

    def run(self, request: Request, *args, **kwargs) -> Response:
        unserved_lookups.refuse(self.get_object(), lookup)

    run.__name__ = lookup.name
    run.__doc__ = (
        f"PostHog's {lookup.label} look-up, which Burrow does not make: 400 naming {lookup.label} on another "
        "provider's integration, else 400 saying Burrow does not offer it."
    )
    scopes = WRITE if lookup.write else READ
    route = action(methods=["get"], detail=True, url_path=lookup.name, required_scopes=scopes)(run)
    return extend_schema(request=None, responses={400: OpenApiResponse(description="Always.")})(route)


for _unserved in UNSERVED_LOOKUPS:
    setattr(IntegrationViewSet, _unserved.name, _unserved_route(_unserved))


# PostHog's operation ids ("List all org organizations integrations"), apart from the project routes' ones.
@extend_schema_view(
    list=extend_schema(operation_id="org_organizations_integrations_list"),
    retrieve=extend_schema(operation_id="org_organizations_integrations_retrieve"),
    destroy=extend_schema(operation_id="org_organizations_integrations_destroy"),
)
class OrganizationIntegrationViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Integrations scoped to the entire organization. Burrow has no marketplace: operators add them with
    `burrow org-integration add`. Members list them; admins disconnect them (DELETE)."""

    scope_object = "organization_integration"
    serializer_class = OrganizationIntegrationSerializer
    queryset = OrganizationIntegration.objects.select_related("created_by").order_by("created_at", "id")
    permission_classes = [OrganizationAdminWritePermission]

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.delete_organization_integration(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProxyRecordViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """An organization's proxy records (a subdomain CNAMEd to this instance). Members read; admins and owners
    create and delete."""

    scope_object = "organization"
    serializer_class = ProxyRecordSerializer
    queryset = ProxyRecord.objects.select_related("created_by").order_by("created_at", "id")
    permission_classes = [OrganizationAdminWritePermission]

    @extend_schema(request=ProxyRecordCreateSerializer, responses={201: ProxyRecordSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = ProxyRecordCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = proxy_records.create(
            self.organization,
            request.user,
            body.validated_data.get("domain"),
            body.validated_data.get("target_cname"),
        )
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        proxy_records.delete(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ProxyRecordSerializer})
    @action(methods=["post"], detail=True, url_path="check", required_scopes=["organization:write"])
    def check(self, request: Request, *args, **kwargs) -> Response:
        """Looks the record's CNAME up now and answers the record with its new `status` and `message`."""
        return Response(self.get_serializer(proxy_records.check(self.get_object())).data)
