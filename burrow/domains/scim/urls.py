"""The SCIM server's routes, at each domain's `scim_base_url` (`/scim/v2/<domain id>/…`). Identity providers
join their paths to the base URL as it was typed, so a trailing slash on either side (`…/<id>//Users`,
`…/Users/`) is accepted. Anything else under a base URL answers a SCIM 404, and a base URL that is not a
domain's the same 401 as a wrong token (auth.py)."""

from django.urls import re_path

from burrow.core.routing import lazy_view


def _view(name: str):
    # Bearer-token API: no CSRF (a browser never holds the token).
    return lazy_view("burrow.domains.scim.views", name, csrf_exempt=True)


BASE = r"^scim/v2/(?P<domain_id>[^/]+)/+"
END = r"/?$"

urlpatterns: list = [
    re_path(BASE + r"ServiceProviderConfig" + END, _view("ServiceProviderConfigView")),
    re_path(BASE + r"ResourceTypes" + END, _view("ResourceTypesView")),
    re_path(BASE + r"ResourceTypes/(?P<item_id>[^/]+)" + END, _view("ResourceTypesView")),
    re_path(BASE + r"Schemas" + END, _view("SchemasView")),
    re_path(BASE + r"Schemas/(?P<item_id>[^/]+)" + END, _view("SchemasView")),
    re_path(BASE + r"Users" + END, _view("UsersView")),
    re_path(BASE + r"Users/\.search" + END, _view("UserSearchView")),
    re_path(BASE + r"Users/(?P<user_id>[^/]+)" + END, _view("UserView")),
    re_path(BASE + r"Groups" + END, _view("GroupsView")),
    re_path(BASE + r"Groups/\.search" + END, _view("GroupSearchView")),
    re_path(BASE + r"Groups/(?P<role>[^/]+)" + END, _view("GroupView")),
    re_path(BASE + r"\.search" + END, _view("RootSearchView")),
    re_path(r"^scim/v2/(?P<domain_id>[^/]+)(?P<rest>/.*)?$", _view("NotFoundView")),
]
