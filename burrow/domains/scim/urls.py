"""The SCIM server's routes, at each domain's `scim_base_url` (`/scim/v2/<domain id>/…`). Identity providers
join their paths to the base URL as it was typed, so a trailing slash on either side (`…/<id>//Users`,
`…/Users/`) is accepted. Anything else under a base URL answers a SCIM 404, and a base URL that is not a
domain's the same 401 as a wrong token (auth.py)."""

from django.urls import re_path

from burrow.domains.scim import views

BASE = r"^scim/v2/(?P<domain_id>[^/]+)/+"
END = r"/?$"

urlpatterns: list = [
    re_path(BASE + r"ServiceProviderConfig" + END, views.ServiceProviderConfigView.as_view()),
    re_path(BASE + r"ResourceTypes" + END, views.ResourceTypesView.as_view()),
    re_path(BASE + r"ResourceTypes/(?P<item_id>[^/]+)" + END, views.ResourceTypesView.as_view()),
    re_path(BASE + r"Schemas" + END, views.SchemasView.as_view()),
    re_path(BASE + r"Schemas/(?P<item_id>[^/]+)" + END, views.SchemasView.as_view()),
    re_path(BASE + r"Users" + END, views.UsersView.as_view()),
    re_path(BASE + r"Users/\.search" + END, views.UserSearchView.as_view()),
    re_path(BASE + r"Users/(?P<user_id>[^/]+)" + END, views.UserView.as_view()),
    re_path(BASE + r"Groups" + END, views.GroupsView.as_view()),
    re_path(BASE + r"Groups/\.search" + END, views.GroupSearchView.as_view()),
    re_path(BASE + r"Groups/(?P<role>[^/]+)" + END, views.GroupView.as_view()),
    re_path(BASE + r"\.search" + END, views.RootSearchView.as_view()),
    re_path(r"^scim/v2/(?P<domain_id>[^/]+)(?P<rest>/.*)?$", views.NotFoundView.as_view()),
]
