"""GitHub App: installed from GitHub's installation page; the person's OAuth code proves they can see the
installation, then installation tokens are minted with the App's JWT (RS256, signed with the App's private
key) and re-minted at half their lifetime. The `github_repos` look-up lists what the installation can reach.
Server-to-server calls go to github.com (OAuth) and api.github.com, or both to BURROW_GITHUB_API_URL.

The install flow's own steps are this module's hooks: an install that comes back without a code takes a second
trip for the user's authorization (`callback_detour`, and the `github/oauth_authorize` action for front ends
that handle the callback themselves); `github/link_existing` connects a project to an installation another
project of the organization has; `shown` says whether an installation is shared and still works."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from burrow.core.ids import parse_id
from burrow.core.models import Team, User
from burrow.integrations import services
from burrow.integrations.models import Integration, OAuthState
from burrow.integrations.oauth import FlowStart, clean_next, issue_state
from burrow.integrations.provider_errors import as_api_errors
from burrow.integrations.providers.base import (
    Action,
    ActionRequest,
    ActionResult,
    Connection,
    Lookup,
    LookupRequest,
    Provider,
    TokenUpdate,
    check_lookup_status,
    query_bool,
    query_int,
    required_text,
)
from burrow.integrations.providers.errors import ProviderRejected
from burrow.integrations.providers.github_jwt import app_jwt
from burrow.integrations.providers.github_requests import (
    INSTALLATION_ID,
    GitHubLinkExistingSerializer,
    GitHubOAuthAuthorizeSerializer,
    GitHubOAuthURLSerializer,
    valid_installation_id,
)
from burrow.integrations.providers.http import call, rebase
from burrow.links import integration_callback_url

NO_ACCESS = "You do not have access to this GitHub installation"
APP_NOT_CONFIGURED = "GitHub App is not configured on this instance (missing BURROW_GITHUB_APP_SLUG)."
CLIENT_NOT_CONFIGURED = "GitHub App client ID is not configured (BURROW_GITHUB_CLIENT_ID missing)."
CODE_EXCHANGE_FAILED = "Failed to exchange the OAuth code — ensure BURROW_GITHUB_CLIENT_SECRET is configured"
CACHE_SECONDS = 3600
REPO_PAGES = 10


def _sharing(integration_id, organization_id, pk) -> QuerySet:
    """The organization's other projects' connections to the same installation."""
    return Integration.objects.filter(
        kind="github", integration_id=integration_id, team__organization_id=organization_id
    ).exclude(pk=pk)


class GitHubProvider(Provider):
    kind = "github"
    label = "GitHub"
    not_configured_message = APP_NOT_CONFIGURED
    authorize_flow = "github_install"

    def __init__(self) -> None:
        repository = inline_serializer(
            "GitHubRepository",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "full_name": serializers.CharField(),
            },
        )
        self.lookups = (
            Lookup(
                name="github_repos",
                run=self.repositories,
                description="Repositories the GitHub App installation can reach, cached for an hour.",
                parameters=(
                    OpenApiParameter("search", OpenApiTypes.STR, description="Part of a repository name."),
                    OpenApiParameter("limit", OpenApiTypes.INT, description="1–500, default 100."),
                    OpenApiParameter("offset", OpenApiTypes.INT),
                    OpenApiParameter(
                        "force_refresh", OpenApiTypes.BOOL, description="Skip the one-hour cache."
                    ),
                ),
                response={
                    "repositories": serializers.ListField(child=repository),
                    "has_more": serializers.BooleanField(),
                },
            ),
        )
        self.actions = (
            Action(
                name="github_oauth_authorize",
                url_path="github/oauth_authorize",
                request=GitHubOAuthAuthorizeSerializer,
                response=GitHubOAuthURLSerializer,
                run=self.oauth_authorize,
                description="Mint a User OAuth URL to bootstrap a fresh code when the install flow returns "
                "without one.",
            ),
            Action(
                name="github_link_existing",
                url_path="github/link_existing",
                request=GitHubLinkExistingSerializer,
                run=self.link_existing,
                description="Reuse a GitHub installation already linked to a sibling team in the same "
                "organization.",
            ),
        )

    def url(self, real_url: str) -> str:
        return rebase(real_url, settings.GITHUB_API_URL)

    def is_configured(self) -> bool:
        return bool(settings.GITHUB_APP_SLUG)

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        # The installation page sends the person back to the App's "Callback URL" (redirect_uri), with
        # the installation id and, when the App asks for user authorization on install, a code.
        return f"https://github.com/apps/{settings.GITHUB_APP_SLUG}/installations/new?{urlencode({'state': state})}"

    def user_authorize_url(self, state: str, redirect_uri: str) -> str:
        if not settings.GITHUB_CLIENT_ID:
            raise ValidationError(CLIENT_NOT_CONFIGURED)
        query = urlencode(
            {"client_id": settings.GITHUB_CLIENT_ID, "redirect_uri": redirect_uri, "state": state}
        )
        return f"https://github.com/login/oauth/authorize?{query}"

    def display_name(self, integration) -> str:
        name = ((integration.config or {}).get("account") or {}).get("name")
        return str(name) if name else f"ID: {integration.integration_id}"

    def list_annotations(self) -> dict:
        shared = _sharing(OuterRef("integration_id"), OuterRef("team__organization_id"), OuterRef("pk"))
        return {"shared_installation": Exists(shared.values("pk"))}

    def shown(self, integration) -> dict:
        """Whether another project of the organization uses the same installation, and whether it works."""
        shared = getattr(integration, "shared_installation", None)
        if shared is None:
            shared = _sharing(
                integration.integration_id, integration.team.organization_id, integration.pk
            ).exists()
        return {
            "installation_shared": bool(shared),
            "installation_status": "unavailable" if integration.errors else "connected",
        }

    # The install flow's own steps

    def callback_detour(self, spent, config: dict) -> FlowStart | None:
        if config.get("code"):
            return None
        # The App does not ask for user authorization on install: ask for it now, for this installation.
        installation_id = valid_installation_id(config.get("installation_id") or spent.installation_id)
        return self.start_user_authorization(spent.user, spent.team, installation_id, spent.next)

    def start_user_authorization(self, user: User, team: Team, installation_id, next_value) -> FlowStart:
        """GitHub's user-authorization URL for an installation, when the install flow came back without a
        code."""
        if installation_id in (None, ""):
            raise ValidationError("installation_id is required")
        installation_id = valid_installation_id(installation_id)
        next_path = clean_next(next_value)
        self.user_authorize_url("", "")  # refuses before a state is issued when the client id is missing
        state = issue_state(
            user=user,
            team=team,
            kind=self.kind,
            flow=OAuthState.Flow.GITHUB_OAUTH,
            next_path=next_path,
            installation_id=installation_id,
        )
        return FlowStart(self.user_authorize_url(state, integration_callback_url(self.kind)), state)

    def oauth_authorize(self, request: ActionRequest) -> ActionResult:
        installation_id, next_value = request.body.get("installation_id"), request.body.get("next")
        started = self.start_user_authorization(request.user, request.team, installation_id, next_value)
        return ActionResult(body={"oauth_url": started.url}, started_state=started.state)

    def link_existing(self, request: ActionRequest) -> ActionResult:
        """Connects the project to a GitHub installation another project of the organization already has."""
        user, team = request.user, request.team
        source_team_id, installation_id = (
            request.body.get("source_team_id"),
            request.body.get("installation_id"),
        )
        if installation_id not in (None, ""):
            installation_id = valid_installation_id(installation_id)
        siblings = Integration.objects.filter(
            kind=self.kind, team__organization_id=team.organization_id
        ).exclude(team=team)
        if source_team_id not in (None, ""):
            source_id = parse_id(source_team_id)
            if (
                source_id is None
                or source_id == team.id
                or not Team.objects.filter(id=source_id, organization_id=team.organization_id).exists()
            ):
                raise ValidationError("Source team not found in your organization")
            rows = siblings.filter(team_id=source_id)
            if installation_id:
                rows = rows.filter(integration_id=installation_id)
            source = rows.order_by("id").first()
            if source is None:
                raise ValidationError("Source team does not have a GitHub integration")
        elif installation_id:
            source = siblings.filter(integration_id=installation_id).order_by("id").first()
            if source is None:
                raise ValidationError(
                    "No team in your organization has this GitHub installation linked",
                    code="github_link_existing_orphan_installation",
                )
        else:
            installations = set(siblings.values_list("integration_id", flat=True))
            if not installations:
                raise ValidationError("No team in your organization has a GitHub installation to link")
            if len(installations) > 1:
                raise ValidationError(
                    "Your organization has multiple GitHub installations; specify which one to link via "
                    "installation_id"
                )
            source = siblings.order_by("id").first()
        if not services.is_org_admin(user, team.organization_id):
            raise ValidationError(
                "Linking another project's GitHub installation needs organization admin access; ask an "
                "admin, or connect GitHub to this project through the install flow.",
                code="github_link_existing_personal_github_required",
            )
        with as_api_errors():
            connection = self.installation_connection(
                str(source.integration_id), (source.config or {}).get("connecting_user_github_login")
            )
        integration, _ = services.store(team, user, self, connection)
        return ActionResult(integration=integration)

    def api(self, method: str, path: str, token: str, **kwargs):
        return call(
            self.label,
            method,
            self.url(f"https://api.github.com{path}"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            **kwargs,
        )

    def check_input(self, config: dict) -> None:
        if config.get("installation_id") not in (None, ""):
            valid_installation_id(config["installation_id"])
        required_text(config, "code", "An OAuth code must be provided")

    def connect(self, config: dict, *, redirect_uri: str, installation_id: str = "") -> Connection:
        given = config.get("installation_id")
        if given in (None, "") and not installation_id:
            raise ValidationError("An installation_id must be provided")
        if given not in (None, ""):
            given = valid_installation_id(given)
            if installation_id and given != installation_id:
                raise ValidationError("Invalid or expired state token")
            installation_id = given
        code = required_text(config, "code", "An OAuth code must be provided")
        user_token = self.exchange_code(code, redirect_uri)
        self.check_user_access(user_token, installation_id)
        login = self.user_login(user_token)
        return self.installation_connection(installation_id, login)

    def exchange_code(self, code: str, redirect_uri: str) -> str:
        response = call(
            self.label,
            "POST",
            self.url("https://github.com/login/oauth/access_token"),
            data={
                "client_id": settings.GITHUB_CLIENT_ID,
                "client_secret": settings.GITHUB_CLIENT_SECRET,
                "code": code,
                "redirect_uri": redirect_uri,
            },
            headers={"Accept": "application/json"},
        )
        body = response.json() if response.status_code == 200 else None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderRejected(self.label, CODE_EXCHANGE_FAILED)
        return token

    def check_user_access(self, user_token: str, installation_id: str) -> None:
        response = self.api(
            "GET", f"/user/installations/{installation_id}/repositories?per_page=1", user_token
        )
        if response.status_code in (403, 404):
            raise ValidationError(NO_ACCESS, code="installation_access_denied")
        if response.status_code != 200:
            raise ValidationError("Failed to verify installation access")

    def user_login(self, user_token: str) -> str | None:
        response = self.api("GET", "/user", user_token)
        login = response.json_object().get("login") if response.status_code == 200 else None
        return login if isinstance(login, str) else None

    def installation_connection(self, installation_id: str, login: str | None) -> Connection:
        """A fresh installation token and the installation's account, as a connection to store."""
        jwt = app_jwt()
        info = self.api("GET", f"/app/installations/{installation_id}", jwt)
        if info.status_code == 404:
            raise ProviderRejected(
                self.label, "This GitHub installation no longer exists. Install the App again."
            )
        if info.status_code != 200:
            raise ProviderRejected(
                self.label, f"GitHub refused the App's credentials (HTTP {info.status_code})."
            )
        installation = info.json_object()
        update = self.mint_token(installation_id, jwt)
        account = installation.get("account") or {}
        config = {
            "installation_id": installation_id,
            "account": {"type": account.get("type"), "name": account.get("login")},
            "repository_selection": installation.get("repository_selection"),
            "connecting_user_github_login": login,
            **update.config,
        }
        return Connection(installation_id, config, update.sensitive_config)

    def mint_token(self, installation_id: str, jwt: str | None = None) -> TokenUpdate:
        response = self.api("POST", f"/app/installations/{installation_id}/access_tokens", jwt or app_jwt())
        body = response.json_object() if response.status_code == 201 else {}
        if not isinstance(body.get("token"), str):
            raise ProviderRejected(
                self.label, f"GitHub did not issue an installation token (HTTP {response.status_code})."
            )
        now = int(time.time())
        return TokenUpdate({"expires_in": 3600, "refreshed_at": now}, {"access_token": body["token"]})

    def needs_refresh(self, integration, now: float) -> bool:
        config = integration.config or {}
        expires_in, refreshed_at = config.get("expires_in"), config.get("refreshed_at")
        if not isinstance(expires_in, int | float) or not isinstance(refreshed_at, int | float):
            return False
        return now > refreshed_at + expires_in / 2

    def refresh(self, integration) -> TokenUpdate:
        return self.mint_token(str(integration.integration_id))

    def revoke(self, integration, *, last_for_account: bool) -> None:
        # Uninstalling breaks the installation for everyone: only when no project uses it any more.
        if last_for_account and INSTALLATION_ID.fullmatch(str(integration.integration_id)):
            self.api("DELETE", f"/app/installations/{integration.integration_id}", app_jwt())

    def repositories(self, integration, request: LookupRequest) -> dict:
        query = request.query
        limit = query_int(query, "limit", 100, 1, 500)
        offset = query_int(query, "offset", 0, 0, 1_000_000)
        key = f"github/{integration.pk}/repositories"
        repositories = None if query_bool(query, "force_refresh") else cache.get(key)
        if repositories is None:
            repositories = self._fetch_repositories(integration.sensitive_config.get("access_token", ""))
            cache.set(key, repositories, CACHE_SECONDS)
        search = str(query.get("search", "")).strip().lower()
        if search:
            repositories = [r for r in repositories if search in str(r["full_name"]).lower()]
        return {
            "repositories": repositories[offset : offset + limit],
            "has_more": offset + limit < len(repositories),
        }

    def _fetch_repositories(self, token: str) -> list[dict]:
        found = []
        for page in range(1, REPO_PAGES + 1):
            response = self.api("GET", f"/installation/repositories?per_page=100&page={page}", token)
            check_lookup_status(response, self.label)
            batch = response.json_object().get("repositories") or []
            found += [
                {"id": r.get("id"), "name": r.get("name"), "full_name": r.get("full_name")}
                for r in batch
                if isinstance(r, dict)
            ]
            if len(batch) < 100:
                break
        return sorted(found, key=lambda r: str(r["full_name"]).lower())


provider = GitHubProvider()
