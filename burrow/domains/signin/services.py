"""Password sign-in: the one path that `POST /api/login`, the `/login` page and `burrow users set-password`
share.

Order matters: SSO enforcement of the address's verified domain is answered first, before the throttle and
before any password is looked at, so that answer says nothing about the account or the password. Then one
attempt is claimed in the address's window and one in the client address's window (failed attempts only:
a correct password gives both back), and only then is the password checked. Unknown addresses and accounts
without a usable password (people who sign in through their identity provider) cost the same password hash
as a real check, and all of them, like inactive accounts, get the same `invalid_credentials` answer."""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import login, logout, password_validation
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from burrow.core.addresses import InvalidAddress, address_key
from burrow.core.attempts import claim_attempt, release_attempt
from burrow.core.clients import client_address, client_network
from burrow.core.models import User
from burrow.domains.provisioning import email_domain, find_user, sso_enforcement_for_email
from burrow.domains.signin.attempts.models import LoginFailureWindow

logger = logging.getLogger("burrow.signin")

INVALID_CREDENTIALS = "Invalid email or password."
SSO_ENFORCED = "You can only login with SSO for this account ({provider})."
# Sessions are created for this backend, which also re-reads the user (and refuses inactive ones) on each
# request.
BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignInRefused(Exception):
    """The sign-in was refused; `code` and `detail` are the reference's (`invalid_credentials`,
    `sso_enforced`)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class TooManyAttempts(Exception):
    """Too many failed sign-ins for the address or from the client; try again after `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def sign_in(request: HttpRequest, email: str, password: str) -> User:
    """Checks the address and password and starts a session for the user (a new session key, so a session
    id planted before sign-in is worthless). Raises SignInRefused or TooManyAttempts."""
    ip = client_address(request)
    provider = sso_enforcement_for_email(email)
    if provider:
        logger.info("login refused", extra={"reason": "sso_enforced", "email": email, "client_ip": ip})
        raise SignInRefused("sso_enforced", SSO_ENFORCED.format(provider=provider))
    buckets = _claim_attempts(email, ip)
    user = _user_with_password(email, password)
    if user is None:
        logger.warning(
            "login failed", extra={"reason": "invalid_credentials", "email": email, "client_ip": ip}
        )
        raise SignInRefused("invalid_credentials", INVALID_CREDENTIALS)
    for bucket in buckets:
        release_attempt(LoginFailureWindow, bucket)
    login(request, user, backend=BACKEND)
    logger.info("login succeeded", extra={"user_id": user.id, "email": user.email, "client_ip": ip})
    return user


def sign_out(request: HttpRequest) -> None:
    """Ends the session (its data is deleted, the cookie's key is worthless from now on)."""
    user_id = request.user.id if request.user.is_authenticated else None
    logout(request)
    if user_id is not None:
        logger.info("logout", extra={"user_id": user_id, "client_ip": client_address(request)})


def set_password(user: User, password: str) -> None:
    """Sets a password for password sign-in, validated by AUTH_PASSWORD_VALIDATORS when configured
    (django.core.exceptions.ValidationError otherwise). Existing sessions of the user end: Django ties each
    session to the password hash it was created with."""
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    logger.info("password set", extra={"user_id": user.id})


def _attempt_window() -> tuple[int, timedelta]:
    return int(settings.LOGIN_ATTEMPTS), timedelta(seconds=settings.LOGIN_ATTEMPTS_WINDOW)


def _bucket(kind: str, value: str) -> str:
    return hashlib.sha256(f"login|{kind}|{value}".encode()).hexdigest()


def _address_key(email: str) -> str:
    """Every spelling of an address shares one window (the callers' serializer has refused malformed ones)."""
    try:
        return address_key(email)
    except InvalidAddress:
        return email.strip().casefold()


def _claim_attempts(email: str, ip: str) -> list[str]:
    """One attempt in the address's window and one in the client's; if either is spent, neither is taken."""
    limit, window = _attempt_window()
    claimed: list[str] = []
    for bucket in (_bucket("email", _address_key(email)), _bucket("ip", client_network(ip))):
        retry_after = claim_attempt(LoginFailureWindow, bucket, limit, window)
        if retry_after is not None:
            for taken in claimed:
                release_attempt(LoginFailureWindow, taken)
            logger.warning(
                "login throttled",
                extra={"email_domain": email_domain(email), "client_ip": ip, "retry_after": retry_after},
            )
            raise TooManyAttempts(retry_after)
        claimed.append(bucket)
    return claimed


def _user_with_password(email: str, password: str) -> User | None:
    """The active user the password belongs to, or None, in about the same time either way."""
    user = find_user(email)
    if user is None or not user.has_usable_password():
        make_password(password)  # the hash a real check would cost, so timing tells nothing
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user
