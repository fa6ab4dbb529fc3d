"""File operations under a table's root, on a local disk or an object store (pyarrow.fs).

Spark writes through Hadoop's file systems; the driver lists, moves and deletes files
through pyarrow's, and delta-rs reads and writes the log through its own. This module
keeps the three agreeing on paths.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from lakehouse.config import is_local_uri


@dataclass(frozen=True)
class FileEntry:
    rel_path: str  # raw relative path under the table root, '/'-separated
    size: int
    mtime_ms: int


def spark_uri(uri: str) -> str:
    """The same location as Hadoop names it (s3:// is s3a:// for Spark)."""
    if uri.startswith("s3://"):
        return "s3a://" + uri[len("s3://") :]
    if uri.startswith("file://"):
        return uri[len("file://") :]
    return uri


def _pyarrow_fs(uri: str, storage_options: dict[str, str]):
    from pyarrow import fs as pafs

    if is_local_uri(uri):
        return pafs.LocalFileSystem(), uri[len("file://") :] if uri.startswith("file://") else uri
    if uri.startswith("s3://") or uri.startswith("s3a://"):
        opts = {k.upper(): v for k, v in storage_options.items()}
        kwargs = {}
        if "AWS_ACCESS_KEY_ID" in opts:
            kwargs["access_key"] = opts["AWS_ACCESS_KEY_ID"]
            kwargs["secret_key"] = opts.get("AWS_SECRET_ACCESS_KEY")
        if "AWS_REGION" in opts:
            kwargs["region"] = opts["AWS_REGION"]
        endpoint = opts.get("AWS_ENDPOINT_URL") or opts.get("AWS_ENDPOINT")
        if endpoint:
            kwargs["endpoint_override"] = endpoint
        bucket_path = uri.split("://", 1)[1]
        return pafs.S3FileSystem(**kwargs), bucket_path
    filesystem, path = pafs.FileSystem.from_uri(uri)
    return filesystem, path


class TableStorage:
    """Files under one table root."""

    def __init__(self, root_uri: str, storage_options: dict[str, str] | None = None):
        self.root_uri = root_uri.rstrip("/")
        self.storage_options = dict(storage_options or {})
        self.fs, self.base = _pyarrow_fs(self.root_uri, self.storage_options)
        self.is_local = is_local_uri(self.root_uri)

    def abs(self, rel: str) -> str:
        """Absolute path in the pyarrow file system."""
        return f"{self.base}/{rel}" if rel else self.base

    def uri(self, rel: str) -> str:
        """Absolute URI as Spark should read it."""
        return spark_uri(f"{self.root_uri}/{rel}" if rel else self.root_uri)

    def list_files(self, rel_dir: str) -> list[FileEntry]:
        """Data files (recursively) under a folder; names starting with '_' or '.' are skipped."""
        from pyarrow import fs as pafs

        base = self.abs(rel_dir)
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        except FileNotFoundError:
            return []
        out = []
        prefix = self.base + "/"
        for info in infos:
            if info.type != pafs.FileType.File:
                continue
            rel = info.path[len(prefix) :] if info.path.startswith(prefix) else info.path
            under = rel[len(rel_dir) + 1 :] if rel_dir else rel
            if any(part.startswith(("_", ".")) for part in under.split("/")):
                continue
            mtime = int(info.mtime.timestamp() * 1000) if info.mtime else 0
            out.append(FileEntry(rel, info.size, mtime))
        return sorted(out, key=lambda f: f.rel_path)

    def stat(self, rel: str) -> FileEntry | None:
        from pyarrow import fs as pafs

        info = self.fs.get_file_info(self.abs(rel))
        if info.type != pafs.FileType.File:
            return None
        return FileEntry(rel, info.size, int(info.mtime.timestamp() * 1000) if info.mtime else 0)

    def move(self, src_rel: str, dst_rel: str) -> None:
        dst = self.abs(dst_rel)
        if self.is_local:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.replace(self.abs(src_rel), dst)
        else:
            self.fs.move(self.abs(src_rel), dst)

    def delete_file(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.abs(rel))

    def delete_dir(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_dir(self.abs(rel))

    def list_dirs(self, rel_dir: str) -> list[tuple[str, int]]:
        """Immediate sub-folders with their modification time (ms)."""
        from pyarrow import fs as pafs

        try:
            infos = self.fs.get_file_info(pafs.FileSelector(self.abs(rel_dir), recursive=False, allow_not_found=True))
        except FileNotFoundError:
            return []
        prefix = self.base + "/"
        return [
            (i.path[len(prefix) :], int(i.mtime.timestamp() * 1000) if i.mtime else 0) for i in infos if i.type == pafs.FileType.Directory
        ]

    def open_input(self, rel: str):
        return self.fs.open_input_file(self.abs(rel))

    def open_output(self, rel: str):
        """A new file (its folders created on a local disk); replaces one of the same name."""
        path = self.abs(rel)
        if self.is_local:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        return self.fs.open_output_stream(path)

    def read_text(self, rel: str) -> str | None:
        try:
            with self.fs.open_input_stream(self.abs(rel)) as f:
                return f.read().decode("utf-8")
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def commit_lock(self) -> Iterator[None]:
        """Serialise committers of this table across processes on one file system.

        Local disks get an advisory ``flock``; object stores rely on delta-rs's own
        atomic commit (conditional put or a locking provider in ``storage_options``).
        """
        if not self.is_local:
            yield
            return
        import fcntl

        os.makedirs(self.base, exist_ok=True)
        fd = os.open(os.path.join(self.base, ".regulake-commit.lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
