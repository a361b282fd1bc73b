"""Data sources an environment's queries run on, the shared cache of query results, and the slots that
bound how many queries of one environment run at once (across every process)."""

import uuid

from django.conf import settings
from django.db import models

from burrow.core.crypto import EncryptedJSONField
from burrow.core.models import Team


class DataSource(models.Model):
    """A database an environment reads from. The URL (with its password) lives only in `secret`, encrypted at
    rest; an empty URL on a `duckdb` source means the environment's embedded warehouse."""

    class Kind(models.TextChoices):
        DUCKDB = "duckdb"
        POSTGRESQL = "postgresql"
        CLICKHOUSE = "clickhouse"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="data_sources")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    secret = EncryptedJSONField(default=dict)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team"], condition=models.Q(is_default=True), name="one_default_data_source_per_team"
            )
        ]

    @property
    def url(self) -> str:
        return str(self.secret.get("url", ""))

    def __str__(self) -> str:
        return self.name


class QueryResult(models.Model):
    """One cached answer of the query API, shared by every process; `cache_key` names source, SQL and limit."""

    cache_key = models.CharField(max_length=64, unique=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    response = models.JSONField()
    last_refresh = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["team", "last_refresh"], name="query_result_team_refresh_idx")]


class RunningQuery(models.Model):
    """A taken slot of an environment's concurrent queries; `expires_at` frees the slot of a process that
    died mid-query."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    slot = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "slot"], name="one_running_query_per_slot")]


class QueryTask(models.Model):
    """A query computed in the background (the async refresh modes), polled by its id at
    `GET …/query/:id/` as the reference's query status. Its answer lives in the cache under `cache_key`."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETE = "complete"
        ERROR = "error"
        CANCELLED = "cancelled"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    query_id = models.CharField(max_length=200)
    cache_key = models.CharField(max_length=64)
    sql = models.TextField()
    data_source_id = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error_message = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField()
    picked_up_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "query_id"], name="one_query_task_per_id")]
        indexes = [
            models.Index(fields=["team", "cache_key", "status"], name="query_task_key_status_idx"),
            models.Index(fields=["team", "expires_at"], name="query_task_expiry_idx"),
        ]
