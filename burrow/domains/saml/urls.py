"""SAML sign-in pages, at the site root as PostHog serves them."""

from django.urls import path

from burrow.domains.saml import views

urlpatterns = [
    path("login/saml/", views.start, name="saml-start"),
    path("login/saml/metadata/", views.metadata, name="saml-metadata"),
    path("complete/saml/", views.complete, name="saml-complete"),
]
