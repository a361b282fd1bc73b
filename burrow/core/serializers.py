import datetime

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from burrow.core.ids import parse_id
from burrow.core.models import ActivityLog, Team, User

HEDGEHOG_KEYS = ("use_as_profile", "color", "accessories", "skin")


def datetime_representation(value: datetime.datetime | None) -> str | None:
    """A moment as DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as `Z`."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class UserBasicSerializer(serializers.ModelSerializer):
    """Exactly the fields PostHog embeds as `created_by`."""

    hedgehog_config = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "uuid",
            "distinct_id",
            "first_name",
            "last_name",
            "email",
            "is_email_verified",
            "hedgehog_config",
            "role_at_organization",
        ]
        read_only_fields = fields

    def get_hedgehog_config(self, user: User) -> dict | None:
        if not user.hedgehog_config:
            return None
        return {key: user.hedgehog_config.get(key) for key in HEDGEHOG_KEYS}

    def to_representation(self, user: User) -> dict:
        # What the fields above give, built directly: this is embedded as `created_by` in every object of
        # every list, where DRF's per-field dispatch costs more than the rest of the row.
        # (tests/core/test_representations.py holds it equal to the fields' own output.)
        return {
            "id": user.id,
            "uuid": str(user.uuid),
            "distinct_id": user.distinct_id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "is_email_verified": user.is_email_verified,
            "hedgehog_config": self.get_hedgehog_config(user),
            "role_at_organization": user.role_at_organization,
        }


class ActivityLogSerializer(serializers.ModelSerializer):
    user = UserBasicSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ActivityLog
        fields = ["id", "user", "activity", "scope", "item_id", "detail", "created_at", "is_system"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class IdField(serializers.Field):
    """An object id in a request body (e.g. the items of a list of ids)."""

    default_error_messages = {"invalid": "A valid integer is required."}

    def to_internal_value(self, data) -> int:
        value = parse_id(data)
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value) -> int:
        return int(value)


class TeamScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to one of the caller's team's objects by id. Ids that cannot be ids (out of range,
    fractions) are refused as PostHog refuses unknown ids; another team's object is refused by
    `TeamScopedSerializer` once every field is valid, so field errors come first as in PostHog."""

    def __init__(self, **kwargs) -> None:
        self.ownership_message = kwargs.pop("ownership_message", None)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        value = parse_id(data)
        if value is None:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(value)

    def belongs_to(self, instance, team) -> bool:
        return instance.team_id == team.id

    def ownership_error(self, name: str) -> str:
        return self.ownership_message or f"This {name} does not belong to your team."


class TeamScopedSerializer(serializers.ModelSerializer):
    """Checks every TeamScopedPrimaryKeyRelatedField against the team in the serializer context, after the
    field errors and before `validate`, so no serializer writes its own ownership check."""

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)
        team = self.context["team"]
        for name, field in self.fields.items():
            value = attrs.get(field.source) if isinstance(field, TeamScopedPrimaryKeyRelatedField) else None
            if value is not None and not field.belongs_to(value, team):
                raise serializers.ValidationError({name: field.ownership_error(name)})
        return attrs


class EnvironmentSerializer(serializers.ModelSerializer):
    """An environment (PostHog's team) as `GET /api/environments/:id/` and `/api/projects/:id/` show it: the
    fields a client needs to point a browser SDK at it."""

    project_id = serializers.IntegerField(read_only=True)
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    timezone = serializers.SerializerMethodField()
    session_recording_opt_in = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = [
            "id",
            "project_id",
            "organization",
            "name",
            "api_token",
            "timezone",
            "session_recording_opt_in",
            "created_at",
        ]
        read_only_fields = fields

    def get_timezone(self, team: Team) -> str:
        return "UTC"  # every report and page of Burrow is in UTC

    def get_session_recording_opt_in(self, team: Team) -> bool:
        return True  # recordings are accepted from any page that sends the token
