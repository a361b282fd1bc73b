"""Session recordings sent by browser clients (posthog-js): one row per recording with what lists and pages
show of it, and one row per stored block of its snapshots (the events themselves live in the recordings
store, `burrow/recordings/storage.py`)."""

from django.db import models

SESSION_ID_MAX_LENGTH = 200


class Recording(models.Model):
    """A session of one browser tab group, as the client named it (`$session_id`). Its counters are sums
    over its blocks, so they do not depend on the order in which blocks arrive."""

    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="+")
    session_id = models.CharField(max_length=SESSION_ID_MAX_LENGTH)
    distinct_id = models.CharField(max_length=400, default="")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    active_milliseconds = models.BigIntegerField(default=0)
    click_count = models.IntegerField(default=0)
    keypress_count = models.IntegerField(default=0)
    event_count = models.IntegerField(default=0)
    size_bytes = models.BigIntegerField(default=0)
    start_url = models.CharField(max_length=2000, default="")
    # When the start URL was seen: an earlier block's page replaces a later one's.
    start_url_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "session_id"], name="recording_team_session")]
        indexes = [
            models.Index(fields=["team", "-start_time"], name="recording_list"),
            models.Index(fields=["end_time"], name="recording_retention"),
        ]

    def __str__(self) -> str:
        return self.session_id

    @property
    def duration_seconds(self) -> int:
        return round((self.end_time - self.start_time).total_seconds())

    @property
    def active_seconds(self) -> int:
        return round(self.active_milliseconds / 1000)


class SnapshotBlock(models.Model):
    """One `$snapshot` event of the client: a batch of rrweb events of one window, stored as one object.
    `event_uuid` is the client's id for it: a batch the client sends again (after a timeout) is stored once."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="blocks")
    event_uuid = models.CharField(max_length=64)
    window_id = models.CharField(max_length=200, default="")
    first_timestamp = models.DateTimeField()
    last_timestamp = models.DateTimeField()
    event_count = models.IntegerField()
    size_bytes = models.IntegerField()  # of the stored, compressed object
    storage_key = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recording", "event_uuid"], name="snapshot_block_once")
        ]
        indexes = [models.Index(fields=["recording", "first_timestamp"], name="snapshot_block_order")]

    def __str__(self) -> str:
        return self.storage_key
