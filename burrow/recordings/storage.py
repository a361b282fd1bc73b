"""Where snapshot blocks live: files under the data directory by default, or an S3-compatible bucket
(`BURROW_RECORDINGS_URL=s3://bucket/prefix`) for installations with several machines.

A block is written whole and durably before its row is committed (and so before the client hears 200): on
files, a temporary file is fsynced, renamed into place and the directory fsynced; on S3, PUT returns only
once the object is stored. Blocks are never changed after they are written; a recording's blocks share a
prefix, so deleting a recording deletes one prefix."""

import os
import uuid
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from burrow.config import ConfigError


class RecordingStore:
    def put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def get(self, key: str) -> bytes | None:
        """The block's bytes, or None when it is gone (its recording was deleted meanwhile)."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def delete_prefix(self, prefix: str) -> None:
        raise NotImplementedError


class FileStore(RecordingStore):
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        folder = self._path(prefix)
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*"), reverse=True):  # files before the folders that hold them
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        folder.rmdir()


class S3Store(RecordingStore):
    """Credentials come from the usual AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or an
    instance role); `?endpoint=` and `?region=` in the URL reach MinIO, R2 or any S3-compatible server."""

    def __init__(self, bucket: str, prefix: str, endpoint: str | None, region: str | None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3}),
        )

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def delete_prefix(self, prefix: str) -> None:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix)
        )
        for page in pages:
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})


@cache
def store_for(url: str, data_dir: str) -> RecordingStore:
    """The store a `BURROW_RECORDINGS_URL` names; empty means files under the data directory."""
    if not url:
        return FileStore(Path(data_dir) / "recordings")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileStore(Path(parts.path))
    if parts.scheme == "s3" and parts.netloc:
        options = parse_qs(parts.query)
        prefix = parts.path.strip("/")
        return S3Store(
            bucket=parts.netloc,
            prefix=f"{prefix}/" if prefix else "",
            endpoint=options.get("endpoint", [None])[0],
            region=options.get("region", [None])[0],
        )
    raise ConfigError(
        "BURROW_RECORDINGS_URL must be s3://bucket[/prefix][?endpoint=https://…&region=…] or file:///path, "
        f"not {url!r}"
    )


def recording_store() -> RecordingStore:
    return store_for(settings.RECORDINGS_URL, str(settings.DATA_DIR))
