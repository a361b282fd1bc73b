"""SAML sign-in pages, at the site root as PostHog serves them."""

from django.urls import path

from burrow.core.routing import lazy_view

VIEWS = "burrow.domains.saml.views"

urlpatterns = [
    path("login/saml/", lazy_view(VIEWS, "start"), name="saml-start"),
    path("login/saml/metadata/", lazy_view(VIEWS, "metadata"), name="saml-metadata"),
    # The IdP's cross-site form post carries no CSRF token; the signed, single-use assertion is the proof.
    path("complete/saml/", lazy_view(VIEWS, "complete", csrf_exempt=True), name="saml-complete"),
]
