"""Fetched objects kept outside the commit until they are committed: a kill loses no fetch.

Every object a worker fetches is saved at once in the git dir (host-local, never
committed), as ``.git/notion-syncd/fetched/<id>.json``, and the files it downloaded
(named by their SHA-256) in ``.git/notion-syncd/fetched/<id>/``. A sync that was
killed, or stopped by an error, before the object reached a commit finds it there:
when the listing (or, for an object fetched by id, the object's own GET) shows the same
``last_edited_time``, the saved record is used instead of fetching the block tree,
comments and files again. That is the rule ``planner.decide`` applies to the mirror
itself, so a saved record is never trusted further than a mirrored one; fetches made
because derived content changed (``refresh.py``, the sweep, untangling moves) never use
it, and a fetch that missed a file or a block's children is not saved (its gap is
retried as usual).

A saved object is trusted only after it reads back whole: the record parses and names
the object and its ``last_edited_time``, every saved file still hashes to its name, and
every file it reuses from the mirror exists. Anything else is ignored and fetched
again. Files are written in place, the record last, and nothing is fsynced: what a kill
or a power cut cuts short fails that check. An entry is one file (and a folder only
for an object with downloads): it was a folder and a temporary file renamed, and every
file made and removed costs CPU later where ext4 runs without a journal, as it scans
past recently removed inodes for each file it makes (issue 10).

An entry is removed once a commit holds its object (``committed``), and the whole
journal once a sync ends (``clear``), so it holds at most the objects fetched since the
last checkpoint plus those waiting for a parent.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import fields
from pathlib import Path
from typing import Any

import structlog

from notion_syncd import jsoncodec
from notion_syncd.sync.fetch import (
    FILES_DIR,
    FetchedRecord,
    FetchReport,
    hosted_files,
    missing_files,
)
from notion_syncd.terms import dashed_id

log = structlog.get_logger()

JOURNAL_DIR = "notion-syncd/fetched"
"""Under the git dir."""
RECORD_SUFFIX = ".json"


class FetchJournal:
    """Saves fetched objects and gives them back to a later sync that can trust them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._kept: set[str] = set()
        """Ids with an entry this process saved or used (removed by ``committed``)."""
        self._with_files: set[str] = set()
        """Those of ``_kept`` whose entry has a folder of downloaded files."""

    def save(self, object_id: str, fetched: FetchedRecord) -> None:
        """Keep ``fetched`` until a commit holds it (a failed save only costs a re-fetch).

        An incomplete fetch (a file or a block's children missing) is not kept: the next
        sync fetches it again, as it does every gap. A record whose files wait for the
        file lane (``files_pending``) is kept as it is: a later sync that uses it
        downloads them, so a kill never costs the API requests of an object that was
        only waiting for its files.
        """
        report = fetched.report
        if report.children_errors or report.files_failed:
            return
        if not fetched.files_pending and missing_files(fetched.record):
            return
        entry = self.directory / dashed_id(object_id)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if fetched.files:
                entry.mkdir(exist_ok=True)
                self._with_files.add(object_id)
            for path, data in fetched.files.items():
                _write(entry / _file_name(path), data)
            saved = {
                "record": fetched.record,
                "files": sorted(fetched.files),
                "report": _report_json(fetched.report),
                "files_pending": fetched.files_pending,
            }
            _write(_record_path(entry), jsoncodec.dumps_compact(saved))
        except OSError as exc:
            log.warning("sync.journal_failed", id=object_id, error=str(exc))
            return
        self._kept.add(object_id)

    def load(
        self,
        object_id: str,
        last_edited_time: object,
        links_before: frozenset[str],
        exists: Callable[[str], bool],
    ) -> FetchedRecord | None:
        """The saved object when it is this version and reads back whole, else None."""
        entry = self.directory / dashed_id(object_id)
        try:
            saved = jsoncodec.loads(_record_path(entry).read_bytes())
            record: dict[str, Any] = saved["record"]
            obj = record.get("page") or record.get("data_source") or {}
            if dashed_id(str(obj.get("id"))) != dashed_id(object_id):
                return None
            if not last_edited_time or obj.get("last_edited_time") != last_edited_time:
                return None
            files = {path: (entry / _file_name(path)).read_bytes() for path in saved["files"]}
            if any(_file_name(path) != _file_name_of(data, path) for path, data in files.items()):
                return None
            if any(not exists(path) for path in _reused(record, files)):
                return None
            report = FetchReport(**saved["report"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        report.unsupported_blocks = Counter(report.unsupported_blocks)
        self._kept.add(object_id)
        if files:
            self._with_files.add(object_id)
        pending = bool(saved.get("files_pending"))
        return FetchedRecord(record, files, report, links_before, files_pending=pending)

    def committed(self, object_ids: Collection[str]) -> None:
        """Forget the entries of objects a commit now holds."""
        # A copy first: fetch workers add entries while the writer thread commits.
        done = {object_id for object_id in list(self._kept) if object_id in object_ids}
        for object_id in sorted(done):
            entry = self.directory / dashed_id(object_id)
            _record_path(entry).unlink(missing_ok=True)
            if object_id in self._with_files:
                shutil.rmtree(entry, ignore_errors=True)
        self._kept -= done
        self._with_files -= done

    def clear(self) -> None:
        """Forget everything (a sync ended: the mirror holds what it fetched)."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self._kept.clear()
        self._with_files.clear()


def _report_json(report: FetchReport) -> dict[str, Any]:
    """The report's fields as JSON values (``asdict`` would turn the Counter inside out)."""
    values = {field.name: getattr(report, field.name) for field in fields(report)}
    return {
        name: dict(value) if isinstance(value, Counter) else value for name, value in values.items()
    }


def _file_name(local_path: str) -> str:
    """``_files/<sha256>.<ext>`` → ``<sha256>.<ext>`` (content-addressed already)."""
    return local_path.rsplit("/", 1)[-1]


def _file_name_of(data: bytes, local_path: str) -> str:
    """What ``_file_name`` would be for ``data`` (its hash with the path's extension)."""
    name = _file_name(local_path)
    suffix = name[64:]
    return hashlib.sha256(data).hexdigest() + suffix


def _reused(record: dict[str, Any], downloaded: dict[str, bytes]) -> list[str]:
    """Local files the record points at that it did not download (reused from the mirror)."""
    paths = []
    for holder in hosted_files(record):
        url = holder["file"].get("url")
        if isinstance(url, str) and url.startswith(FILES_DIR) and url not in downloaded:
            paths.append(url)
    return paths


def _record_path(entry: Path) -> Path:
    """``<journal>/<id>.json`` for the entry ``<journal>/<id>`` (its files' folder)."""
    return entry.with_name(entry.name + RECORD_SUFFIX)


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` in place: a write cut short fails ``load``'s checks, as damage does."""
    with path.open("wb") as handle:
        handle.write(data)
