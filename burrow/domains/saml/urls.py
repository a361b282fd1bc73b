"""Routes filled in by the saml work."""

urlpatterns: list = []
