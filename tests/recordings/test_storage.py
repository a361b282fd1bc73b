"""The recordings store on files and on an S3-compatible server (moto in server mode, on loopback): what a
client sent is stored, served back, and deleted with its recording; a store URL that cannot work is a clear
error."""

import gzip
import json

import boto3
import pytest
from django.test import Client

from burrow.config import ConfigError
from burrow.recordings.models import SnapshotBlock
from burrow.recordings.storage import FileStore, S3Store, store_for
from tests.fakes.smtp import free_port
from tests.recordings.helpers import gzip_json, rrweb_session, snapshot_event

BUCKET = "burrow-recordings"


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_store(s3_server, settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "burrow-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "burrow-test")
    bucket = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    bucket.create_bucket(Bucket=BUCKET)
    settings.RECORDINGS_URL = f"s3://{BUCKET}/replays?endpoint={s3_server}&region=us-east-1"
    yield bucket
    for item in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        bucket.delete_object(Bucket=BUCKET, Key=item["Key"])
    bucket.delete_bucket(Bucket=BUCKET)
    store_for.cache_clear()


def send(tenant, session_id: str) -> None:
    body = gzip_json([snapshot_event(tenant.team.api_token, session_id, rrweb_session())])
    assert Client().post("/s/", data=body, content_type="text/plain").status_code == 200


def test_blocks_go_to_the_bucket_and_come_back(tenant, s3_store):
    send(tenant, "s3-session")
    keys = [item["Key"] for item in s3_store.list_objects_v2(Bucket=BUCKET)["Contents"]]
    block = SnapshotBlock.objects.get()
    assert keys == [f"replays/{block.storage_key}"]

    content = tenant.client.get(
        tenant.url("session_recordings/s3-session/snapshots/?source=blob_v2&blob_key=0")
    )
    lines = [json.loads(line) for line in b"".join(content.streaming_content).splitlines()]
    assert [event for _, event in lines] == rrweb_session()

    assert tenant.client.delete(tenant.url("session_recordings/s3-session/")).status_code == 204
    assert "Contents" not in s3_store.list_objects_v2(Bucket=BUCKET)


def test_a_file_store_keeps_blocks_private_and_whole(tenant, settings, tmp_path):
    settings.RECORDINGS_URL = f"file://{tmp_path / 'replays'}"
    try:
        send(tenant, "file-session")
        block = SnapshotBlock.objects.get()
        path = tmp_path / "replays" / block.storage_key
        assert path.stat().st_mode & 0o777 == 0o600
        assert gzip.decompress(path.read_bytes()).count(b"\n") == len(rrweb_session())
        assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "a temporary file was left"
    finally:
        store_for.cache_clear()


def test_store_urls(tmp_path):
    assert isinstance(store_for("", str(tmp_path)), FileStore)
    assert isinstance(store_for("s3://bucket/prefix?region=eu-west-1", str(tmp_path)), S3Store)
    for wrong in ("ftp://bucket", "s3://", "bucket/prefix"):
        with pytest.raises(ConfigError, match="BURROW_RECORDINGS_URL"):
            store_for(wrong, str(tmp_path))
