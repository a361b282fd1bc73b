"""Routes filled in by the scim work."""

urlpatterns: list = []
