"""Data sources as the API shows them (the URL's password masked) and the query API's request body."""

from rest_framework import serializers

from burrow.core.serializers import UserBasicSerializer
from burrow.queries import sources
from burrow.queries.models import DataSource


class DataSourceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The source's URL with its password masked.")
    created_by = UserBasicSerializer(read_only=True, allow_null=True)

    class Meta:
        model = DataSource
        fields = ["id", "name", "kind", "url", "is_default", "created_at", "created_by"]
        read_only_fields = fields

    def get_url(self, source: DataSource) -> str:
        return sources.masked_url(source)


class DataSourceCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=DataSource.Kind.choices)
    url = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="postgresql://user:pass@host:5432/db, clickhouse(s)://user:pass@host:8123/db; empty for "
        "a duckdb source (the environment's embedded warehouse).",
    )
    is_default = serializers.BooleanField(required=False, default=False)


class DataSourceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    url = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="A password sent back masked (********) keeps the stored one.",
    )
    is_default = serializers.BooleanField(required=False)
    kind = serializers.ChoiceField(choices=DataSource.Kind.choices, required=False)


class DataSourceTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    version = serializers.CharField()


class HogQLQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["HogQLQuery"])
    query = serializers.CharField(trim_whitespace=False, max_length=100_000)


class QueryRequestSerializer(serializers.Serializer):
    query = HogQLQuerySerializer()
    refresh = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="blocking (default), force_blocking, lazy_async, async, force_async; true/false as in "
        "the reference.",
    )
    client_query_id = serializers.RegexField(
        r"^[A-Za-z0-9_.:-]*$",
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=200,
        help_text="The id of the background computation (async modes), polled at GET …/query/:id/; "
        "letters, digits and _ . : - (default: the cache key).",
    )
    data_source = serializers.UUIDField(
        required=False, allow_null=True, help_text="Burrow: the data source to run on (default: the default)."
    )
    name = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=400)


class QueryResponseSerializer(serializers.Serializer):
    results = serializers.ListField(child=serializers.ListField())
    columns = serializers.ListField(child=serializers.CharField())
    types = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    hasMore = serializers.BooleanField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    query = serializers.CharField()
    hogql = serializers.CharField()
    timings = serializers.ListField(child=serializers.DictField())
    error = serializers.CharField(allow_null=True)
    is_cached = serializers.BooleanField()
    last_refresh = serializers.DateTimeField()
    cache_key = serializers.CharField()


class QueryStatusSerializer(serializers.Serializer):
    id = serializers.CharField()
    team_id = serializers.IntegerField()
    insight_id = serializers.IntegerField(allow_null=True)
    dashboard_id = serializers.IntegerField(allow_null=True)
    query_async = serializers.BooleanField()
    complete = serializers.BooleanField()
    error = serializers.BooleanField()
    error_message = serializers.CharField(allow_null=True)
    results = QueryResponseSerializer(allow_null=True)
    start_time = serializers.DateTimeField(allow_null=True)
    pickup_time = serializers.DateTimeField(allow_null=True)
    end_time = serializers.DateTimeField(allow_null=True)
    expiration_time = serializers.DateTimeField(allow_null=True)
    task_id = serializers.CharField(allow_null=True)
    query_progress = serializers.DictField(allow_null=True)
    labels = serializers.ListField(child=serializers.CharField(), allow_null=True)


class QueryStatusResponseSerializer(serializers.Serializer):
    query_status = QueryStatusSerializer()


class QueryCancelSerializer(serializers.Serializer):
    message = serializers.CharField()
