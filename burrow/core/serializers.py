from rest_framework import serializers

from burrow.core.models import ActivityLog, User

HEDGEHOG_KEYS = ("use_as_profile", "color", "accessories", "skin")


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


class ActivityLogSerializer(serializers.ModelSerializer):
    user = UserBasicSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ActivityLog
        fields = ["id", "user", "activity", "scope", "item_id", "detail", "created_at", "is_system"]
        read_only_fields = fields
