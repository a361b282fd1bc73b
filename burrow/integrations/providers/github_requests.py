"""What GitHub's own actions take from a request: installation ids from outside, and the bodies of
`github/oauth_authorize` and `github/link_existing`."""

import re

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

INSTALLATION_ID = re.compile(r"[1-9]\d{0,19}")
INVALID_INSTALLATION_ID = "Invalid installation_id"


def valid_installation_id(value) -> str:
    """An installation id from outside, as text, or a 400."""
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not INSTALLATION_ID.fullmatch(text):
        raise ValidationError(INVALID_INSTALLATION_ID)
    return text


class GitHubOAuthAuthorizeSerializer(serializers.Serializer):
    installation_id = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=40)
    next = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=2000)
    connect_from = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)


class GitHubOAuthURLSerializer(serializers.Serializer):
    oauth_url = serializers.URLField()


class GitHubLinkExistingSerializer(serializers.Serializer):
    source_team_id = serializers.IntegerField(required=False, allow_null=True)  # the reference's field
    installation_id = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=40)
    discovery_id = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)
