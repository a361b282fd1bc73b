"""What the integrations API shows and accepts. `sensitive_config` is never a field of anything here."""

from rest_framework import serializers

from burrow.core.serializers import UserBasicSerializer
from burrow.integrations.models import KIND_CHOICES, Integration, OrganizationIntegration, ProxyRecord
from burrow.integrations.providers import display_name, get_provider
from burrow.integrations.providers.base import SHOWN_DEFAULTS


class IntegrationSerializer(serializers.ModelSerializer):
    created_by = UserBasicSerializer(read_only=True, allow_null=True)
    display_name = serializers.SerializerMethodField()
    files_write_requestable = serializers.SerializerMethodField()
    installation_shared = serializers.SerializerMethodField()
    installation_status = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "id",
            "kind",
            "config",
            "created_at",
            "created_by",
            "errors",
            "display_name",
            "files_write_requestable",
            "installation_shared",
            "installation_status",
        ]
        read_only_fields = fields

    def get_display_name(self, integration: Integration) -> str:
        return display_name(integration)

    def get_files_write_requestable(self, integration: Integration) -> bool:
        return self._shown(integration)["files_write_requestable"]

    def get_installation_shared(self, integration: Integration) -> bool | None:
        """GitHub only: another project of the organization uses the same installation."""
        return self._shown(integration)["installation_shared"]

    def get_installation_status(self, integration: Integration) -> str | None:
        return self._shown(integration)["installation_status"]

    def _shown(self, integration: Integration) -> dict:
        """The provider's own fields, worked out once per integration shown."""
        cache = self.context.setdefault("shown", {})
        if integration.pk not in cache:
            provider = get_provider(integration.kind)
            cache[integration.pk] = {**SHOWN_DEFAULTS, **(provider.shown(integration) if provider else {})}
        return cache[integration.pk]


class IntegrationCreateSerializer(serializers.Serializer):
    """`{"kind", "config"}`: an OAuth callback's `{"code", "state"}`, Twilio's `{"account_sid", "auth_token"}`
    or GitHub's `{"installation_id", "state", "code"}`."""

    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    config = serializers.DictField(required=False, default=dict)


class OrganizationIntegrationSerializer(serializers.ModelSerializer):
    created_by = UserBasicSerializer(read_only=True, allow_null=True)

    class Meta:
        model = OrganizationIntegration
        fields = ["id", "kind", "integration_id", "config", "created_at", "updated_at", "created_by"]
        read_only_fields = fields


class DomainConnectProviderSerializer(serializers.Serializer):
    endpoint = serializers.CharField()
    name = serializers.CharField()


class DomainConnectCheckSerializer(serializers.Serializer):
    supported = serializers.BooleanField()
    provider_name = serializers.CharField(allow_null=True)
    available_providers = DomainConnectProviderSerializer(many=True)


class DomainConnectApplyURLRequestSerializer(serializers.Serializer):
    """Every field optional here: what a context needs is checked in `domain_connect.apply_url`, in the
    reference's order and with its messages."""

    context = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=20)
    integration_id = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=40)
    proxy_record_id = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=40)
    redirect_uri = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=2000)
    provider_endpoint = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=500
    )


class DomainConnectApplyURLSerializer(serializers.Serializer):
    url = serializers.CharField()


class ProxyRecordSerializer(serializers.ModelSerializer):
    created_by = UserBasicSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ProxyRecord
        fields = [
            "id",
            "domain",
            "target_cname",
            "status",
            "message",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = fields


class ProxyRecordCreateSerializer(serializers.Serializer):
    """`domain` (a subdomain such as e.example.com); `target_cname` defaults to this instance's host."""

    domain = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=300)
    target_cname = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=300)
