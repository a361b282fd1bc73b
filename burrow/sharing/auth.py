"""`?sharing_access_token=<token>` on API reads: the holder of an enabled, password-free share link may GET
exactly the shared dashboard, insight or session recording (and its snapshots) through the API, as in PostHog.

Sharing says only what a token grants; `burrow/core/readcredentials.py` enforces it on the views that opt in
(analytics' dashboards and insights, recordings), so those apps need not know sharing. Registered in SharingConfig.ready()."""

from burrow.core.readcredentials import ObjectGrant, ReadCredential
from burrow.sharing import access


def grant_for(token: str) -> ObjectGrant | None:
    config = access.resolve(token)
    if config is None or config.password_required:
        return None  # password-protected shares never authenticate this way
    if config.resource_kind == "recording":
        # The recordings API finds a recording by its session id, and its scope object is `session_recording`.
        return ObjectGrant(
            team_id=config.team_id, scope_object="session_recording", object_id=config.recording.session_id
        )
    return ObjectGrant(
        team_id=config.team_id, scope_object=config.resource_kind, object_id=config.resource_id
    )


SHARING_ACCESS_TOKEN = ReadCredential(
    parameter="sharing_access_token",
    resolve=grant_for,
    invalid="Sharing access token is invalid.",
    only_get="Sharing access token can only be used for GET requests.",
)
