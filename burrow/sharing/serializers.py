"""Validation and representation of sharing configurations and share passwords. Serializers validate; every
write happens in services.py."""

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from burrow.sharing.models import SharePassword, SharingConfiguration

BOOLEAN_SETTINGS = ("whitelabel", "noHeader", "showInspector", "legend", "detailed", "hideExtraDetails")
THEMES = ("light", "dark", "system")
INVALID_SETTINGS = "Invalid settings format"
MIN_PASSWORD_LENGTH = 8
PASSWORD_TOO_SHORT = f"Password must be at least {MIN_PASSWORD_LENGTH} characters long."
DELETED_USER = "deleted user"

# Pydantic's lax booleans, which PostHog's SharingConfigurationSettings model applies.
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def _lax_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(value)


def clean_settings(value: Any) -> dict | None:
    """As PostHog: unknown keys are dropped silently, known ones validated leniently, unset ones left out;
    `null` stays `null`. Anything else is "Invalid settings format"."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise serializers.ValidationError(INVALID_SETTINGS)
    cleaned: dict[str, Any] = {}
    try:
        for name in BOOLEAN_SETTINGS:
            if value.get(name) is not None:
                cleaned[name] = _lax_bool(value[name])
    except ValueError:
        raise serializers.ValidationError(INVALID_SETTINGS) from None
    theme = value.get("theme")
    if theme is not None:
        if theme not in THEMES:
            raise serializers.ValidationError(INVALID_SETTINGS)
        cleaned["theme"] = theme
    return cleaned


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "Page flags: whitelabel, noHeader, showInspector, legend, detailed, hideExtraDetails "
        "(booleans) and theme (light, dark or system). Unknown keys are dropped.",
        "properties": {
            **{name: {"type": "boolean"} for name in BOOLEAN_SETTINGS},
            "theme": {"type": "string", "enum": list(THEMES)},
        },
    }
)
class SettingsField(serializers.Field):
    def to_internal_value(self, data: Any) -> dict | None:
        return clean_settings(data)

    def to_representation(self, value: Any) -> Any:
        return value


class SharePasswordSerializer(serializers.ModelSerializer):
    """A password as lists show it: metadata only, never the hash."""

    created_by_email = serializers.SerializerMethodField()

    class Meta:
        model = SharePassword
        fields = ["id", "created_at", "note", "created_by_email", "is_active"]
        read_only_fields = fields

    def get_created_by_email(self, password: SharePassword) -> str:
        return password.created_by.email if password.created_by else DELETED_USER


@extend_schema_serializer(many=False)  # the "list" route answers one object, as in PostHog
class SharingConfigurationSerializer(serializers.ModelSerializer):
    created_at = serializers.DateTimeField(read_only=True, allow_null=True)  # null until the first write
    settings = SettingsField(required=False, allow_null=True)
    share_passwords = serializers.SerializerMethodField()

    class Meta:
        model = SharingConfiguration
        fields = ["created_at", "enabled", "access_token", "settings", "password_required", "share_passwords"]
        read_only_fields = ["created_at", "access_token", "share_passwords"]

    @extend_schema_field(SharePasswordSerializer(many=True))
    def get_share_passwords(self, config: SharingConfiguration) -> list[dict]:
        if config.pk is None:
            return []
        # Prefetched by the view (SharingViewSet._with_passwords): active passwords, newest first, with their
        # creators.
        return SharePasswordSerializer(config.share_passwords.all(), many=True).data


class SharePasswordCreateSerializer(serializers.Serializer):
    raw_password = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False, write_only=True
    )
    note = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)

    def validate_raw_password(self, value: str | None) -> str | None:
        if value and len(value) < MIN_PASSWORD_LENGTH:
            raise serializers.ValidationError(PASSWORD_TOO_SHORT)
        return value or None


class SharePasswordCreatedSerializer(serializers.Serializer):
    """The create response: the raw password, shown this once."""

    id = serializers.IntegerField()
    password = serializers.CharField()
    note = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    created_by_email = serializers.CharField()
