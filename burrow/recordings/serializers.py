"""Recordings as the reference's session recordings API shows them."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from burrow.recordings.models import Recording


class RecordingSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="session_id", read_only=True)
    viewed = serializers.SerializerMethodField()
    recording_duration = serializers.IntegerField(source="duration_seconds", read_only=True)
    active_seconds = serializers.IntegerField(read_only=True)
    inactive_seconds = serializers.SerializerMethodField()
    mouse_activity_count = serializers.IntegerField(source="click_count", read_only=True)
    person = serializers.SerializerMethodField()
    storage = serializers.SerializerMethodField()
    snapshot_source = serializers.SerializerMethodField()

    class Meta:
        model = Recording
        fields = [
            "id",
            "distinct_id",
            "viewed",
            "recording_duration",
            "active_seconds",
            "inactive_seconds",
            "start_time",
            "end_time",
            "click_count",
            "keypress_count",
            "mouse_activity_count",
            "start_url",
            "person",
            "storage",
            "snapshot_source",
        ]
        read_only_fields = fields

    def get_viewed(self, recording: Recording) -> bool:
        return False  # Burrow keeps no per-viewer history

    def get_inactive_seconds(self, recording: Recording) -> int:
        return max(recording.duration_seconds - recording.active_seconds, 0)

    @extend_schema_field({"type": "object", "nullable": True})
    def get_person(self, recording: Recording) -> None:
        return None  # Burrow keeps no persons: `distinct_id` is who recorded

    def get_storage(self, recording: Recording) -> str:
        return "object_storage"

    def get_snapshot_source(self, recording: Recording) -> str:
        return "web"
