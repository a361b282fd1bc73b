"""Recordings routes: the API under every project/environment, the members' replay page, the endpoints
browser clients post to, and posthog-js's own scripts."""

from django.urls import re_path

from burrow.core.routing import ApiRouter
from burrow.recordings import client, ingestion
from burrow.recordings.pages import ReplayPage
from burrow.recordings.views import RecordingViewSet

router = ApiRouter()
router.register_team("session_recordings", RecordingViewSet, "session-recordings")

api_urlpatterns = router.urls
public_urlpatterns = [
    re_path(
        r"^project/(?P<environment_id>[^/]+)/replay/(?P<recording_id>[^/]+)/?$",
        ReplayPage.as_view(),
        name="replay-page",
    ),
    re_path(r"^(?:flags|decide)/?$", ingestion.flags, name="capture-flags"),
    re_path(
        r"^array/(?P<token>[^/]+)/config(?P<extension>\.js)?$", ingestion.remote_config, name="capture-config"
    ),
    re_path(r"^s/?$", ingestion.snapshots, name="capture-snapshots"),
    re_path(r"^(?:e|i/v0/e|batch|capture|track)/?$", ingestion.events, name="capture-events"),
    re_path(
        r"^static/(?:(?P<version>[0-9][0-9.]*)/)?(?P<name>[a-z-]+\.js)$", client.script, name="posthog-js"
    ),
]
