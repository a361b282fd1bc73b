"""The one writer of recordings: storing snapshot batches (each once, however often the client sends it),
deleting recordings, and the retention sweep. Blocks are written to the store before their rows are
committed, so a batch that was acknowledged is both in the database and in the store."""

import gzip
import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from burrow.core.models import Team
from burrow.recordings.models import SESSION_ID_MAX_LENGTH, Recording, SnapshotBlock
from burrow.recordings.rrweb import InvalidEvents, Summary, expand, summarize
from burrow.recordings.storage import recording_store

logger = logging.getLogger(__name__)

# Deleting expired recordings goes in batches, so a sweep's memory does not grow with the backlog.
SWEEP_BATCH = 200


@dataclass(frozen=True)
class SnapshotBatch:
    """One `$snapshot` event of a client: rrweb events of one window of one session, checked."""

    session_id: str
    window_id: str
    distinct_id: str
    event_uuid: str  # the client's id of the event; a digest of the content when it sent none
    events: list
    summary: Summary


def prepare_batch(
    session_id: str, window_id: str, distinct_id: str, client_uuid: object, events: list
) -> SnapshotBatch:
    """A batch ready to store; InvalidEvents says what is wrong with one that is not."""
    if not session_id or len(session_id) > SESSION_ID_MAX_LENGTH or not session_id.isprintable():
        raise InvalidEvents(f"$session_id must be 1 to {SESSION_ID_MAX_LENGTH} printable characters")
    events = [expand(event, settings.RECORDINGS_MAX_REQUEST_BYTES) for event in events]
    return SnapshotBatch(
        session_id=session_id,
        window_id=window_id[:200],
        distinct_id=distinct_id[:400],
        event_uuid=batch_uuid(client_uuid, session_id, window_id, events),
        events=events,
        summary=summarize(events),
    )


def _moment(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def session_prefix(team_id: int, session_id: str) -> str:
    """The store prefix of one recording: the session id is hashed, so any id makes a safe path."""
    return f"team-{team_id}/{hashlib.sha256(session_id.encode()).hexdigest()[:40]}/"


def encode_block(window_id: str, events: list) -> bytes:
    """A block as stored: gzip of one `[window_id, event]` JSON line per event (what the snapshots API
    serves, so reading a block is one decompression)."""
    lines = "".join(json.dumps([window_id, event], separators=(",", ":")) + "\n" for event in events)
    return gzip.compress(lines.encode(), compresslevel=6)


def store_batch(team: Team, batch: SnapshotBatch) -> bool:
    """Stores one batch; False when it was stored before (a retry)."""
    summary = batch.summary
    data = encode_block(batch.window_id, batch.events)
    key = f"{session_prefix(team.id, batch.session_id)}{uuid.uuid4().hex}.jsonl.gz"
    store = recording_store()
    store.put(key, data)
    first, last = _moment(summary.first_ms), _moment(summary.last_ms)
    try:
        with transaction.atomic():
            recording, _ = Recording.objects.get_or_create(
                team=team,
                session_id=batch.session_id,
                defaults={"start_time": first, "end_time": last, "distinct_id": batch.distinct_id},
            )
            SnapshotBlock.objects.create(
                recording=recording,
                event_uuid=batch.event_uuid,
                window_id=batch.window_id,
                first_timestamp=first,
                last_timestamp=last,
                event_count=len(batch.events),
                size_bytes=len(data),
                storage_key=key,
            )
            Recording.objects.filter(pk=recording.pk).update(
                start_time=Least(F("start_time"), first),
                end_time=Greatest(F("end_time"), last),
                active_milliseconds=F("active_milliseconds") + summary.active_ms,
                click_count=F("click_count") + summary.clicks,
                keypress_count=F("keypress_count") + summary.keypresses,
                event_count=F("event_count") + len(batch.events),
                size_bytes=F("size_bytes") + len(data),
            )
            if summary.start_url_ms is not None:
                seen = _moment(summary.start_url_ms)
                # An earlier page than the one known so far (batches may arrive out of order) replaces it.
                Recording.objects.filter(pk=recording.pk).exclude(start_url_at__lte=seen).update(
                    start_url=summary.start_url[:2000], start_url_at=seen
                )
    except IntegrityError:
        store.delete(key)  # sent before: the first copy stays, this one goes
        if SnapshotBlock.objects.filter(
            recording__team=team, recording__session_id=batch.session_id, event_uuid=batch.event_uuid
        ).exists():
            return False
        raise
    return True


def batch_uuid(client_uuid: object, session_id: str, window_id: str, events: list) -> str:
    """The id a batch is stored once under: the client's event uuid, else a digest of what it holds."""
    if isinstance(client_uuid, str) and 0 < len(client_uuid) <= 64:
        return client_uuid
    content = json.dumps([session_id, window_id, events], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()[:64]


def blocks_of(recording: Recording) -> list[SnapshotBlock]:
    """A recording's blocks in time order: the sources of its snapshots, numbered from 0."""
    return list(recording.blocks.order_by("first_timestamp", "id"))


def block_lines(blocks: list[SnapshotBlock]) -> Iterator[bytes]:
    """The `[window_id, event]` lines of the given blocks, one block in memory at a time; a block deleted
    meanwhile (its recording was deleted while someone watched) is skipped."""
    store = recording_store()
    for block in blocks:
        data = store.get(block.storage_key)
        if data is not None:
            yield gzip.decompress(data)


def delete_recording(recording: Recording) -> None:
    """Rows first: from then on nothing lists or serves the recording; then its blocks."""
    prefix = session_prefix(recording.team_id, recording.session_id)
    recording.delete()
    recording_store().delete_prefix(prefix)


def sweep_expired(now: datetime | None = None) -> int:
    """Deletes recordings that ended more than BURROW_RECORDINGS_RETENTION_DAYS ago, rows and blocks."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RECORDINGS_RETENTION_DAYS)
    deleted = 0
    while True:
        expired = list(Recording.objects.filter(end_time__lt=cutoff).order_by("end_time")[:SWEEP_BATCH])
        if not expired:
            break
        for recording in expired:
            delete_recording(recording)
        deleted += len(expired)
    if deleted:
        logger.info("recordings retention", extra={"deleted": deleted, "cutoff": cutoff.isoformat()})
    return deleted
