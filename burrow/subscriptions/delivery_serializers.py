from rest_framework import serializers

from burrow.subscriptions.models import SubscriptionDelivery


class SubscriptionDeliverySerializer(serializers.ModelSerializer):
    subscription = serializers.IntegerField(source="subscription_id", read_only=True)
    exported_asset_ids = serializers.SerializerMethodField()

    class Meta:
        model = SubscriptionDelivery
        fields = [
            "id",
            "subscription",
            "trigger_type",
            "scheduled_at",
            "target_type",
            "target_value",
            "exported_asset_ids",
            "content_snapshot",
            "recipient_results",
            "status",
            "error",
            "attempts",
            "created_at",
            "last_updated_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_exported_asset_ids(self, obj: SubscriptionDelivery) -> list[int]:
        return list((obj.content_snapshot or {}).get("exported_asset_ids", []))
