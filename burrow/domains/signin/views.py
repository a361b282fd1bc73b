"""Sign-in over the API: `POST /api/login`, `POST /api/logout` and `GET /api/users/@me/`.

`/api/login` takes JSON (PostHog's front end and scripts) or a form. A cross-site page can post a form but
not JSON (that needs a CORS preflight Burrow never grants), so a form must carry the CSRF token, as the
`/login` page's does: otherwise another site could sign a visitor in to an account of its choosing."""

import math

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from burrow.core.auth import PersonalAPIKeyAuthentication, SessionAuthentication
from burrow.core.models import User
from burrow.core.permissions import APIScopePermission
from burrow.domains.signin import services
from burrow.domains.signin.serializers import CurrentUserSerializer, LoginResponseSerializer, LoginSerializer


class LoginView(APIView):
    authentication_classes: list = []  # the e-mail and password are the credential
    permission_classes = [AllowAny]
    throttle_classes: list = []  # failed attempts have their own throttle, always on (services.sign_in)

    @extend_schema(
        request=LoginSerializer, responses={200: LoginResponseSerializer}, operation_id="login_create"
    )
    def post(self, request: Request) -> Response:
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            SessionAuthentication().enforce_csrf(request)
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.sign_in(request._request, **serializer.validated_data)
        except services.SignInRefused as refused:
            raise ValidationError(refused.detail, code=refused.code) from None
        except services.TooManyAttempts as throttled:
            raise Throttled(wait=throttled.retry_after) from None
        return Response({"success": True})

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, Throttled) and exc.wait is not None:
            # The envelope says "Expected available in N seconds."; the header says it to HTTP clients.
            response["Retry-After"] = str(math.ceil(exc.wait))
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class LogoutView(APIView):
    # Only a session can be ended; a session user's POST must carry the CSRF token, so another site cannot
    # sign visitors out.
    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(request=None, responses={204: None}, operation_id="logout_create")
    def post(self, request: Request) -> Response:
        services.sign_out(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CurrentUserViewSet(GenericViewSet):
    """`/api/users/@me/`: whoever the session or key belongs to (scope `user:read` for keys, any project or
    organization scoping of the key aside, as in PostHog)."""

    authentication_classes = [PersonalAPIKeyAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, APIScopePermission]
    scope_object = "user"
    scope_object_read_actions = ["retrieve"]
    scope_object_write_actions: list = []
    serializer_class = CurrentUserSerializer
    queryset = User.objects.none()

    @extend_schema(operation_id="users_me_retrieve")
    def retrieve(self, request: Request) -> Response:
        return Response(self.get_serializer(request.user).data)
