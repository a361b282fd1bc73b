"""A share session is honoured only in the shape Burrow signs it. A token signed with the server's key but of
another shape (as an older or newer Burrow might sign one: not a mapping, a password id that is no integer,
no access-token digest) opens nothing, and is no server error."""

import pytest
from django.core import signing

from burrow.sharing.access import SESSION_SALT
from burrow.sharing.models import SharePassword, SharingConfiguration

pytestmark = pytest.mark.django_db


def _with_session(client, shared, payload):
    session = signing.dumps(payload, salt=SESSION_SALT)
    return client.get(f"/shared/{shared.token}", HTTP_AUTHORIZATION=f"Bearer {session}")


def test_a_session_of_another_shape_opens_nothing(share, anonymous):
    shared = share("dashboard", password="correct horse")
    config = SharingConfiguration.objects.get(access_token=shared.token)
    password = SharePassword.objects.get(sharing_configuration=config)
    genuine = {
        "c": config.id,
        "g": config.session_generation,
        "p": password.id,
        "d": config.access_token_digest,
    }
    assert b"Chart 0" in _with_session(anonymous, shared, genuine).content  # the shape Burrow signs opens it
    for payload in (
        [config.id, password.id],
        {**genuine, "p": str(password.id)},
        {**genuine, "d": None},
    ):
        page = _with_session(anonymous, shared, payload)
        assert page.status_code == 200 and b"unlock-form" in page.content, payload
