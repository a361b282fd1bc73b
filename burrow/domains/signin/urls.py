"""Routes filled in by the sign-in work."""

api_urlpatterns: list = []
public_urlpatterns: list = []
