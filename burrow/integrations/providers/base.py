"""The interface every provider module implements, and the generic OAuth 2.0 code flow most of them share.

A provider knows how to send a person to its consent page (`authorize_url`), how to turn what comes back
into a connection (`connect`: token exchange and account look-up), how to keep a token fresh (`needs_refresh`,
`refresh`), how to let go of it (`revoke`), and which look-ups it offers (`lookups`). Where its flow differs
from the plain code flow, hooks say how: what is stored (`stored`: a sender domain keeps its key), a further
consent trip the callback needs (`callback_detour`), its own steps of connecting served as API routes
(`actions`), and the fields it fills in on the API's integration object (`shown`). So adding a provider,
whatever its flow, is adding its module; `consent.py`, `services.py` and `tokens.py` do the rest (requests
to Burrow, tenancy, storage) the same way for every provider."""

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from rest_framework.exceptions import ValidationError

from burrow.integrations.providers.errors import (
    ProviderForbidden,
    ProviderRejected,
    ProviderUnauthorized,
)
from burrow.integrations.providers.http import call, rebase


@dataclass
class Connection:
    """What a finished connect flow yields: the account's id at the provider, what may be shown, and the
    secrets (encrypted at rest, never shown)."""

    integration_id: str
    config: dict[str, Any]
    sensitive_config: dict[str, Any]


@dataclass
class TokenUpdate:
    config: dict[str, Any]
    sensitive_config: dict[str, Any]


@dataclass(frozen=True)
class LookupRequest:
    query: Any  # the request's query parameters (a QueryDict)
    user_id: int | None


@dataclass(frozen=True)
class Lookup:
    """A read-only question to the provider, served at `GET …/integrations/:id/<name>/`. `response` names the
    answer's fields for the OpenAPI document (DRF fields); `parameters` its query parameters."""

    name: str
    run: Callable[[Any, LookupRequest], dict]
    response: dict[str, Any] = field(default_factory=dict)
    parameters: tuple = ()
    description: str = ""


@dataclass(frozen=True)
class ActionResult:
    """What a provider action answers: an integration (shown as the API shows integrations) or a body, and
    the state of a consent flow it started, whose cookie the browser gets."""

    integration: Any = None
    body: dict | None = None
    started_state: str = ""


@dataclass(frozen=True)
class ActionRequest:
    user: Any
    team: Any
    body: dict  # validated by the action's `request` serializer ({} without one)
    integration: Any = None  # the integration a `detail` action is on


@dataclass(frozen=True)
class Action:
    """A provider's own step, served at `POST …/integrations/<url_path>/` (`…/integrations/:id/<url_path>/`
    when `detail`): `run` gets the user, the project, the body validated by `request` (a DRF serializer
    class, or None for no body) and the integration. `response` is the answer's serializer for the OpenAPI
    document; None means the integration. `name` is the route's method name."""

    name: str
    url_path: str
    run: Callable[[ActionRequest], ActionResult]
    request: type | None = None
    response: Any = None
    detail: bool = False
    description: str = ""


def dot_get(data: Any, path: str) -> Any:
    """PostHog's `dot_get`: a config key may itself contain dots ("data.viewer.organization.id"), so the
    literal key wins; otherwise the dotted path is walked."""
    if isinstance(data, dict) and path in data:
        return data[path]
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def jwt_claims(token: str) -> dict:
    """The claims of a JWT received straight from a provider's token endpoint over TLS (OpenID Connect
    allows trusting the TLS connection instead of the signature there); {} when it cannot be read."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def required_text(config: dict, name: str, message: str) -> str:
    """A string the connect body must carry (an OAuth code, an account SID); else a 400 with `message`."""
    value = config.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 4096:
        raise ValidationError(message)
    return value.strip()


def query_int(query, name: str, default: int, minimum: int, maximum: int) -> int:
    """An integer query parameter of a look-up, else a 400 naming it."""
    raw = query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:
        raise ValidationError({name: f"Must be an integer between {minimum} and {maximum}."})
    return value


def query_bool(query, name: str) -> bool:
    return str(query.get(name, "")).strip().lower() == "true"


def check_lookup_status(response, provider: str) -> None:
    """A look-up answer's status: 401 and 403 have their own errors, any other 4xx is a refusal."""
    if response.status_code == 401:
        raise ProviderUnauthorized(provider, "401")
    if response.status_code == 403:
        raise ProviderForbidden(provider, "403")
    if response.status_code >= 400:
        raise ProviderRejected(
            provider,
            f"{provider} refused the request (HTTP {response.status_code}). Check the integration's account.",
        )


# Fields of the API's integration object that only some providers fill in (`Provider.shown`), and their value
# for the others.
SHOWN_DEFAULTS = {"files_write_requestable": False, "installation_shared": None, "installation_status": None}


class Provider:
    kind: str = ""
    label: str = ""  # the provider's name in messages: "Slack", "LinkedIn Ads"
    name_path: str | None = None  # where in `config` the display name is; None → "ID: <integration_id>"
    uses_state = True  # connecting needs a state issued by `authorize` (all but credential-only kinds)
    not_configured_message = "Kind not configured"
    authorize_flow = "oauth"  # the OAuthState flow `authorize` starts
    lookups: tuple[Lookup, ...] = ()
    actions: tuple[Action, ...] = ()
    connecting_twice = "This account was being connected twice at once. Please try again."
    reconnect_takes_over = True  # reconnecting an account makes its user the integration's creator

    def is_configured(self) -> bool:
        return True

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        raise NotImplementedError

    def check_input(self, config: dict) -> None:
        """Refuses a connect body that cannot work, before its state is spent."""

    def connect(self, config: dict, *, redirect_uri: str, installation_id: str = "") -> Connection:
        raise NotImplementedError

    def callback_detour(self, spent, config: dict):
        """A further consent flow (an `oauth.FlowStart`) the browser must go through before the callback
        can connect, or None. `spent` is the callback's spent state, `config` its code and ids."""
        return None

    def list_annotations(self) -> dict:
        """Annotations the integrations list adds to every row for `shown`, so a page costs one query."""
        return {}

    def shown(self, integration) -> dict:
        """This provider's values of the `SHOWN_DEFAULTS` fields for `integration`."""
        return {}

    def stored(self, connection: Connection, existing) -> Connection:
        """What to store for a finished connect: the connection itself, unless the provider keeps something
        of the `existing` row of the same account (None when there is none)."""
        return connection

    def needs_refresh(self, integration, now: float) -> bool:
        return False

    def refresh(self, integration) -> TokenUpdate:
        raise NotImplementedError

    def revoke(self, integration, *, last_for_account: bool) -> None:
        """Best effort: tell the provider the grant is no longer used. `last_for_account` is False while
        another project still holds a connection to the same account."""

    def display_name(self, integration) -> str:
        if self.name_path:
            name = dot_get(integration.config or {}, self.name_path)
            if name:
                return str(name)
        return f"ID: {integration.integration_id}"


def split_token_response(tokens: dict) -> tuple[dict, dict]:
    """(config, sensitive_config) from a token response: every token, at any depth, goes to the secrets
    (nested ones under their dotted path), the rest stays showable."""
    secrets: dict[str, Any] = {}

    def clean(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                dotted = f"{path}.{key}" if path else key
                if key.endswith(("token", "_secret")):
                    secrets[dotted] = item
                else:
                    kept[key] = clean(item, dotted)
            return kept
        return value

    config = clean(tokens, "")
    return config, secrets


class OAuthProvider(Provider):
    """The OAuth 2.0 authorization-code flow with form-encoded token requests (RFC 6749 §4.1), refresh at
    half the token's lifetime, and the account id read from `id_path` of the stored config."""

    authorize_endpoint = ""  # where the browser goes (always the provider's real host)
    token_endpoint = ""  # server to server (rebased by `api_url_setting`)
    scope = ""
    extra_authorize_params: dict[str, str] = {}
    id_path = ""
    client_id_setting = ""
    client_secret_setting = ""
    api_url_setting = ""  # the Django setting that rebases server-to-server URLs ("" → real hosts)

    def url(self, real_url: str) -> str:
        return rebase(real_url, getattr(settings, self.api_url_setting, "") if self.api_url_setting else "")

    @property
    def client_id(self) -> str:
        return getattr(settings, self.client_id_setting, "")

    @property
    def client_secret(self) -> str:
        return getattr(settings, self.client_secret_setting, "")

    def is_configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def not_configured_message(self) -> str:
        """The reference's "Kind not configured", and what the operator sets to configure it."""
        names = " and ".join(
            f"BURROW_{name}" for name in (self.client_id_setting, self.client_secret_setting)
        )
        return f"Kind not configured: set {names} (your {self.label} app's OAuth credentials) and restart."

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        params = {
            "client_id": self.client_id,
            "scope": self.scope,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": state,
            **self.extra_authorize_params,
        }
        return f"{self.authorize_endpoint}?{urlencode(params)}"

    def check_input(self, config: dict) -> None:
        required_text(config, "code", "An OAuth code must be provided")

    def connect(self, config: dict, *, redirect_uri: str, installation_id: str = "") -> Connection:
        code = required_text(config, "code", "An OAuth code must be provided")
        tokens = self.token_request(
            {"code": code, "redirect_uri": redirect_uri, "grant_type": "authorization_code"}
        )
        showable, secrets = split_token_response(tokens)
        showable.update(self.token_info(secrets.get("access_token", ""), tokens))
        showable["refreshed_at"] = int(time.time())
        integration_id = dot_get(showable, self.id_path)
        if isinstance(integration_id, int) and not isinstance(integration_id, bool):
            integration_id = str(integration_id)
        if not isinstance(integration_id, str) or not integration_id:
            raise ProviderRejected(
                self.label,
                f"{self.label} did not say which account was connected. Please try connecting again.",
            )
        return Connection(integration_id, showable, secrets)

    def token_info(self, access_token: str, tokens: dict) -> dict:
        """Fields about the connected account to keep in config (the account id and name among them)."""
        return {}

    def token_url(self) -> str:
        return self.url(self.token_endpoint)

    def token_request(self, data: dict) -> dict:
        """POSTs to the token endpoint; the answer must carry an access token."""
        response = call(
            self.label,
            "POST",
            self.token_url(),
            data={"client_id": self.client_id, "client_secret": self.client_secret, **data},
            headers={"Accept": "application/json"},
        )
        body = response.json() if response.body else {}
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            raise ProviderRejected(self.label, oauth_failure(self.kind, response.status_code, body))
        return body

    def needs_refresh(self, integration, now: float) -> bool:
        """At half the token's lifetime, when there is a refresh token (PostHog's rule)."""
        config = integration.config or {}
        expires_in, refreshed_at = config.get("expires_in"), config.get("refreshed_at")
        if not (integration.sensitive_config or {}).get("refresh_token"):
            return False
        if not _number(expires_in) or not _number(refreshed_at):
            return False
        return now > refreshed_at + expires_in / 2

    def refresh(self, integration) -> TokenUpdate:
        tokens = self.token_request(
            {"refresh_token": integration.sensitive_config["refresh_token"], "grant_type": "refresh_token"}
        )
        showable, secrets = split_token_response(tokens)
        config = {key: showable[key] for key in ("expires_in", "scope") if key in showable}
        config["refreshed_at"] = int(time.time())
        return TokenUpdate(config, {k: v for k, v in secrets.items() if v})


def oauth_failure(kind: str, status: int, body: Any) -> str:
    """PostHog's message for a failed token request: "<kind> OAuth failed: <error>: <description>"."""
    if isinstance(body, dict):
        description = body.get("error_description") or body.get("message")
        code = body.get("error")
        text = f"{code}: {description}" if code and description else description or code
        if text:
            return f"{kind} OAuth failed: {str(text)[:300]}"
    return f"{kind} OAuth failed (status {status}). Please try again."


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
