"""PostHog's error envelope: `{"type", "code", "detail", "attr"}` for every error (first error only)."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

NESTED_KEY_SEPARATOR = "__"

_TYPES: list[tuple[type[Exception], str]] = [
    (exceptions.AuthenticationFailed, "authentication_error"),
    (exceptions.NotAuthenticated, "authentication_error"),
    (exceptions.PermissionDenied, "authentication_error"),
    (exceptions.NotFound, "invalid_request"),
    (exceptions.MethodNotAllowed, "invalid_request"),
    (exceptions.ParseError, "invalid_request"),
    (exceptions.NotAcceptable, "invalid_request"),
    (exceptions.UnsupportedMediaType, "invalid_request"),
    (exceptions.Throttled, "throttled_error"),
    (exceptions.ValidationError, "validation_error"),
]


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"
    default_type = "invalid_request"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service unavailable."
    default_code = "service_unavailable"
    default_type = "server_error"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"
    default_type = "conflict"


def error_body(error_type: str, code: str, detail: str, attr: str | None = None) -> dict[str, Any]:
    return {"type": error_type, "code": code, "detail": detail, "attr": attr}


def _first_error(detail: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], Any]:
    if isinstance(detail, dict):
        key, value = next(iter(detail.items()))
        return _first_error(value, path + (str(key),))
    if isinstance(detail, list):
        for index, item in enumerate(detail):
            if item in ({}, [], None):
                continue  # nested list serializers report clean items as empty
            # A list of messages for one field keeps the field path; a list of nested objects adds the index.
            return _first_error(item, path + ((str(index),) if isinstance(item, dict | list) else ()))
        return path, detail
    return path, detail


def _error_type(exc: Exception) -> str:
    explicit = getattr(exc, "default_type", None)
    if explicit:
        return explicit
    for cls, name in _TYPES:
        if isinstance(exc, cls):
            return name
    return "server_error"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()

    if not isinstance(exc, exceptions.APIException):
        logger.exception("unhandled error", extra={"view": type(context.get("view")).__name__})
        set_rollback()
        return Response(
            error_body("server_error", "error", "A server error occurred."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    path, message = _first_error(exc.detail)
    attr_parts = [p for p in path if p not in ("non_field_errors", "__all__")]
    code = getattr(message, "code", None) or exc.default_code
    if code == "invalid":
        code = "invalid_input"
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    set_rollback()
    body = error_body(_error_type(exc), code, str(message), NESTED_KEY_SEPARATOR.join(attr_parts) or None)
    return Response(body, status=exc.status_code, headers=headers)
