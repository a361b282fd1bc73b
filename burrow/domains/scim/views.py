"""The SCIM 2.0 endpoints (RFC 7644) under `/scim/v2/<domain id>/`: discovery, Users and Groups.

Plain Django views rather than DRF: SCIM has its own media type, error schema and list envelope, none of
PostHog's, and these routes are not part of the PostHog API schema. They are CSRF-exempt (a bearer token,
never a cookie, authenticates them). Each request is authenticated first (auth.py), then parsed and
validated by scim2-models, then handed to services.py; any refusal leaves as a SCIM error, never a 500."""

import json
from functools import cache
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    ListResponse,
    PatchOp,
    ResponseParameters,
    SCIMException,
    SearchRequest,
)

from burrow.domains.scim import inputs, resources, services
from burrow.domains.scim.auth import authenticate
from burrow.domains.scim.resources import POLICY, Group, User
from burrow.domains.scim.services import ScimProblem

SCIM_JSON = "application/scim+json"
DEFAULT_COUNT = 100
SEARCH_PARAMETERS = (
    "filter",
    "startIndex",
    "count",
    "sortBy",
    "sortOrder",
    "attributes",
    "excludedAttributes",
)
ROLE_LIST = ", ".join(resources.ROLES)


def scim_response(payload: dict[str, Any] | None, status: int = 200, **headers: str) -> HttpResponse:
    body = b"" if payload is None else json.dumps(payload, default=str).encode()
    response = HttpResponse(body, status=status, content_type=SCIM_JSON if payload is not None else None)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error_response(status: int, detail: str, scim_type: str | None = None, **headers: str) -> HttpResponse:
    error = Error(status=status, scim_type=scim_type or None, detail=detail)
    if status == 401:
        headers["WWW_Authenticate"] = 'Bearer realm="SCIM"'
    return scim_response(error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), status, **headers)


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    """Authenticates the domain, runs the handler under Burrow's SCIM policy and turns every refusal into a
    SCIM error. Subclasses implement `get`, `post`… and set `allowed`."""

    allowed: tuple[str, ...] = ()
    model: type | None = None  # the resource served, whose `attributes`/`excludedAttributes` a client may ask
    domain: Any
    returned: ResponseParameters | None = None

    def dispatch(self, request: HttpRequest, domain_id: str, **kwargs: Any) -> HttpResponse:
        try:
            self.domain = authenticate(request, domain_id)
            method = request.method.lower()
            if method not in self.allowed or not hasattr(self, method):
                return error_response(
                    405,
                    f"{request.method} is not supported here; use {', '.join(self.allowed).upper()}.",
                    Allow=", ".join(m.upper() for m in self.allowed),
                )
            with POLICY:
                # Read before any write, so a bad `attributes` cannot refuse a request that already changed data.
                self.returned = self.response_parameters(request)
                return getattr(self, method)(request, **kwargs)
        except SCIMException as exc:
            error = exc.to_error()
            return error_response(error.status or 400, error.detail or "", error.scim_type)
        except ScimProblem as problem:
            return error_response(problem.status, problem.detail, problem.scim_type)
        except ValidationError as exc:
            error = Error.from_validation_errors(exc)[0]
            return error_response(error.status or 400, error.detail or "Invalid request.", error.scim_type)

    def body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            raw = request.body
        except RequestDataTooBig:
            raise ScimProblem(413, "The request body is too large.") from None
        try:
            payload = json.loads(raw or b"null")
        except (ValueError, RecursionError):
            raise ScimProblem(400, "The request body is not JSON.", "invalidSyntax") from None
        if not isinstance(payload, dict):
            raise ScimProblem(400, "The request body must be a JSON object.", "invalidSyntax")
        inputs.check_body(payload)
        return payload

    def response_parameters(self, request: HttpRequest) -> ResponseParameters | None:
        query = {k: request.GET[k] for k in ("attributes", "excludedAttributes") if request.GET.get(k)}
        if not query or self.model is None:
            return None
        return ResponseParameters[self.model].model_validate(query)

    @staticmethod
    def search_request(model: type, payload: dict[str, Any]) -> SearchRequest:
        inputs.check_filter_text(payload.get("filter"))
        search = SearchRequest[model].model_validate(payload, scim_ctx=Context.SEARCH_REQUEST)
        if search.filter:
            inputs.check_filter(search.filter.ast)
        return search

    def list_response(
        self, model: type, search: SearchRequest, total: int, page: list[Any], start: int
    ) -> HttpResponse:
        listing = list_response_type(model)(
            total_results=total, start_index=start, items_per_page=len(page), resources=page
        )
        return scim_response(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search))

    def resource_response(self, resource: Any, status: int = 200) -> HttpResponse:
        context = Context.RESOURCE_CREATION_RESPONSE if status == 201 else Context.RESOURCE_QUERY_RESPONSE
        payload = resource.model_dump(scim_ctx=context, response_parameters=self.returned)
        headers = {"Location": resource.meta.location} if status == 201 else {}
        return scim_response(payload, status, **headers)


@cache
def list_response_type(model: type) -> type:
    """`ListResponse[model]`, built once: scim2-models makes a new pydantic class on every subscript (~5 ms)."""
    return ListResponse[model]


def _page(search: SearchRequest) -> tuple[int, int]:
    """(startIndex, count): 1-based, a startIndex below 1 read as 1 and a count capped at maxResults."""
    start = max(search.start_index or 1, 1)
    count = DEFAULT_COUNT if search.count is None else max(min(search.count, resources.MAX_RESULTS), 0)
    return start, count


# Discovery


class ServiceProviderConfigView(ScimView):
    allowed = ("get",)

    def get(self, request: HttpRequest) -> HttpResponse:
        config = resources.service_provider_config(self.domain.id)
        return scim_response(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


class DiscoveryListView(ScimView):
    """ResourceTypes and Schemas: a fixed list, and each item by id."""

    allowed = ("get",)
    documents: Any = None
    not_found = ""

    def get(self, request: HttpRequest, item_id: str | None = None) -> HttpResponse:
        items = self.documents(self.domain.id)
        if item_id is not None:
            for item in items:
                if item.id == item_id:
                    return scim_response(item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
            raise ScimProblem(404, self.not_found)
        dumped = [item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for item in items]
        return scim_response(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": len(dumped),
                "startIndex": 1,
                "itemsPerPage": len(dumped),
                "Resources": dumped,
            }
        )


class ResourceTypesView(DiscoveryListView):
    documents = staticmethod(resources.resource_types)
    not_found = "Resource type not found"


class SchemasView(DiscoveryListView):
    documents = staticmethod(resources.schemas)
    not_found = "Schema not found"


# Users


class UsersView(ScimView):
    allowed = ("get", "post")
    model = User

    def get(self, request: HttpRequest) -> HttpResponse:
        query = {k: request.GET[k] for k in SEARCH_PARAMETERS if k in request.GET}
        return self.search(self.search_request(User, query))

    def post(self, request: HttpRequest) -> HttpResponse:
        resource = User.model_validate(self.body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        user = services.create_user(self.domain, resource)
        return self.resource_response(resources.user_resource(self.domain.id, user, user.scim_level), 201)

    def search(self, search: SearchRequest) -> HttpResponse:
        start, count = _page(search)
        filter_node = search.filter.ast if search.filter else None
        total, page = services.list_users(self.domain, filter_node, start, count)
        found = [resources.user_resource(self.domain.id, user, user.scim_level) for user in page]
        return self.list_response(User, search, total, found, start)


class UserSearchView(UsersView):
    allowed = ("post",)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.search(self.search_request(User, self.body(request)))


class UserView(ScimView):
    allowed = ("get", "put", "patch", "delete")
    model = User

    def get(self, request: HttpRequest, user_id: str) -> HttpResponse:
        user = services.get_user(self.domain, user_id)
        return self.resource_response(resources.user_resource(self.domain.id, user, user.scim_level))

    def put(self, request: HttpRequest, user_id: str) -> HttpResponse:
        wanted = User.model_validate(self.body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        user = services.replace_user(self.domain, user_id, wanted)
        return self.resource_response(resources.user_resource(self.domain.id, user, user.scim_level))

    def patch(self, request: HttpRequest, user_id: str) -> HttpResponse:
        patch = PatchOp[User].model_validate(self.body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        with transaction.atomic():
            current = services.get_user(self.domain, user_id, lock=True)
            wanted = resources.user_resource(self.domain.id, current, current.scim_level)
            patch.patch(wanted)
            if wanted.active is None:
                # RFC 7644 §3.5.2.2: `active` is whether they are a member, never unassigned (the schema
                # publishes it as required); deactivating is replacing it with false.
                raise ScimProblem(
                    400, "active cannot be removed; replace it with false to deactivate.", "mutability"
                )
            user = services.replace_user(self.domain, user_id, wanted)
        return self.resource_response(resources.user_resource(self.domain.id, user, user.scim_level))

    def delete(self, request: HttpRequest, user_id: str) -> HttpResponse:
        services.delete_user(self.domain, user_id)
        return scim_response(None, 204)


# Groups: the organization's roles


class GroupsView(ScimView):
    allowed = ("get", "post")
    model = Group

    def get(self, request: HttpRequest) -> HttpResponse:
        query = {k: request.GET[k] for k in SEARCH_PARAMETERS if k in request.GET}
        return self.search(self.search_request(Group, query))

    def post(self, request: HttpRequest) -> HttpResponse:
        resource = Group.model_validate(self.body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        role = (resource.display_name or "").strip().lower()
        if role in resources.ROLES:
            raise ScimProblem(
                409,
                f'The group "{role}" already exists (id "{role}"); change its members with PATCH.',
                "uniqueness",
            )
        raise ScimProblem(
            400,
            f"Burrow's groups are the organization's roles ({ROLE_LIST}) and cannot be created; "
            "push your identity provider's groups to these.",
            "invalidValue",
        )

    def search(self, search: SearchRequest) -> HttpResponse:
        start, count = _page(search)
        groups = all_groups(self.domain)
        if search.filter:
            groups = [group for group in groups if search.filter.match(group)]
        page = groups[start - 1 : start - 1 + count]
        return self.list_response(Group, search, len(groups), page, start)


class GroupSearchView(GroupsView):
    allowed = ("post",)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.search(self.search_request(Group, self.body(request)))


class GroupView(ScimView):
    allowed = ("get", "put", "patch")
    model = Group

    def get(self, request: HttpRequest, role: str) -> HttpResponse:
        return self.resource_response(one_group(self.domain, role))

    def put(self, request: HttpRequest, role: str) -> HttpResponse:
        current = one_group(self.domain, role)
        wanted = Group.model_validate(self.body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        if (wanted.display_name or "").strip().lower() != role:
            raise ScimProblem(
                400, f'This group is the role "{role}"; its displayName cannot change.', "mutability"
            )
        services.set_role_members(self.domain, current.id, _member_ids(wanted))
        return self.resource_response(one_group(self.domain, role))

    def patch(self, request: HttpRequest, role: str) -> HttpResponse:
        patch = PatchOp[Group].model_validate(self.body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        with transaction.atomic():
            wanted = one_group(self.domain, role)
            patch.patch(wanted)
            services.set_role_members(self.domain, role, _member_ids(wanted))
        return self.resource_response(one_group(self.domain, role))


def all_groups(domain: Any) -> list[Group]:
    members = services.role_members(domain)
    created = domain.organization.created_at
    return [resources.group_resource(domain.id, role, created, members[role]) for role in resources.ROLES]


def one_group(domain: Any, role: str) -> Group:
    for group in all_groups(domain):
        if group.id == role:
            return group
    raise ScimProblem(404, "Group not found")


def _member_ids(group: Group) -> set[str]:
    return {member.value for member in group.members or [] if member.value}


# Anything else under a domain's base URL


class RootSearchView(ScimView):
    allowed = ("post",)

    def post(self, request: HttpRequest) -> HttpResponse:
        raise ScimProblem(501, "Search one resource type at a time: POST /Users/.search or /Groups/.search.")


class NotFoundView(ScimView):
    allowed = ("get", "post", "put", "patch", "delete")

    def _not_found(self, request: HttpRequest, rest: str = "") -> HttpResponse:
        raise ScimProblem(
            404, "No such SCIM endpoint; see ServiceProviderConfig, ResourceTypes, Schemas, Users and Groups."
        )

    get = post = put = patch = delete = _not_found
