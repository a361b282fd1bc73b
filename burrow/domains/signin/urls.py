"""Sign-in routes: the API (`/api/login`, `/api/logout`, `/api/users/@me/`) and the pages (`/login`,
`/logout`). Every route answers with or without the trailing slash, as the rest of Burrow does."""

from django.urls import re_path

from burrow.domains.signin.pages import LoginPage, LogoutPage
from burrow.domains.signin.views import CurrentUserViewSet, LoginView, LogoutView

api_urlpatterns = [
    re_path(r"^login/?$", LoginView.as_view(), name="api-login"),
    re_path(r"^logout/?$", LogoutView.as_view(), name="api-logout"),
    re_path(r"^users/@me/?$", CurrentUserViewSet.as_view({"get": "retrieve"}), name="users-me"),
]
public_urlpatterns = [
    re_path(r"^login/?$", LoginPage.as_view(), name="login"),
    re_path(r"^logout/?$", LogoutPage.as_view(), name="logout"),
]
