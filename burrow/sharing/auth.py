"""`?sharing_access_token=<token>` on API reads: the holder of an enabled, password-free share link may GET
exactly the shared dashboard or insight through the API, as in PostHog.

Sharing says only what a token grants; `burrow/core/readcredentials.py` enforces it on the views that opt in
(analytics' dashboards and insights), so analytics need not know sharing. Registered in SharingConfig.ready()."""

from burrow.core.readcredentials import ObjectGrant, ReadCredential
from burrow.sharing import access


def grant_for(token: str) -> ObjectGrant | None:
    config = access.resolve(token)
    if config is None or config.password_required:
        return None  # password-protected shares never authenticate this way
    return ObjectGrant(
        team_id=config.team_id, scope_object=config.resource_kind, object_id=config.resource_id
    )


SHARING_ACCESS_TOKEN = ReadCredential(
    parameter="sharing_access_token",
    resolve=grant_for,
    invalid="Sharing access token is invalid.",
    only_get="Sharing access token can only be used for GET requests.",
)
