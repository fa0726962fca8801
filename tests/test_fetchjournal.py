"""The fetch journal: what a killed sync fetched is given back only when it can be trusted."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from notion_syncd.sync.fetch import FetchedRecord, FetchReport
from notion_syncd.sync.fetchjournal import FetchJournal

PAGE_ID = "0b5a7a4e-0a8c-4c5e-9d55-6a3c1f2b9e01"
EDITED = "2026-03-02T08:10:00.000Z"
PICTURE = b"\x89PNG picture bytes"
PICTURE_PATH = f"_files/{hashlib.sha256(PICTURE).hexdigest()}.png"
REUSED_PATH = f"_files/{'ab' * 32}.pdf"


def _fetched() -> FetchedRecord:
    image = {"type": "file", "file": {"source_url": "https://s3/p.png", "url": PICTURE_PATH}}
    reused = {"type": "file", "file": {"source_url": "https://s3/d.pdf", "url": REUSED_PATH}}
    record = {
        "page": {"object": "page", "id": PAGE_ID, "last_edited_time": EDITED},
        "blocks": [{"object": "block", "type": "image", "image": image}, reused],
    }
    report = FetchReport(unsupported_blocks=Counter({"ai_block": 2}), files_downloaded=1)
    return FetchedRecord(record, {PICTURE_PATH: PICTURE}, report)


def _load(journal: FetchJournal, edited: str = EDITED, exists: bool = True) -> FetchedRecord | None:
    return journal.load(PAGE_ID, edited, frozenset({"link"}), lambda _path: exists)


def test_fetchjournal_gives_back_the_same_version(tmp_path: Path) -> None:
    """A saved object comes back whole (record, files, report) for its own version."""
    journal = FetchJournal(tmp_path / "fetched")
    journal.save(PAGE_ID, _fetched())
    kept = _load(FetchJournal(tmp_path / "fetched"))  # as the next process sees it
    assert kept is not None
    assert kept.record == _fetched().record
    assert kept.files == {PICTURE_PATH: PICTURE}
    assert kept.report == _fetched().report
    assert kept.links_before == frozenset({"link"})


def test_fetchjournal_refuses_another_version_or_damage(tmp_path: Path) -> None:
    """A newer version, a changed file, a missing reused file or a torn record: fetch again."""
    journal = FetchJournal(tmp_path / "fetched")
    journal.save(PAGE_ID, _fetched())
    assert _load(journal, edited="2026-03-02T08:11:00.000Z") is None
    assert _load(journal, exists=False) is None
    entry = tmp_path / "fetched" / PAGE_ID
    (entry / PICTURE_PATH.rsplit("/", 1)[1]).write_bytes(b"other bytes")
    assert _load(journal) is None
    journal.save(PAGE_ID, _fetched())
    assert _load(journal) is not None
    (tmp_path / "fetched" / f"{PAGE_ID}.json").write_bytes(b'{"record": {"page"')
    assert _load(journal) is None


def test_fetchjournal_forgets_what_a_commit_holds(tmp_path: Path) -> None:
    """``committed`` removes the entries of committed objects, ``clear`` the journal."""
    journal = FetchJournal(tmp_path / "fetched")
    journal.save(PAGE_ID, _fetched())
    journal.committed({"some-other-id": EDITED})
    assert _load(journal) is not None
    journal.committed({PAGE_ID: EDITED})
    assert _load(journal) is None
    journal.save(PAGE_ID, _fetched())
    journal.clear()
    assert not (tmp_path / "fetched").exists()


def test_fetchjournal_keeps_no_incomplete_fetch(tmp_path: Path) -> None:
    """A fetch that missed a file is not kept: the next sync fetches it again (a gap)."""
    journal = FetchJournal(tmp_path / "fetched")
    fetched = _fetched()
    blocks = fetched.record["blocks"]
    blocks[1]["download_error"] = "the file URL expired"
    journal.save(PAGE_ID, fetched)
    assert _load(journal) is None


def test_fetchjournal_keeps_a_record_waiting_for_its_files(tmp_path: Path) -> None:
    """An object fetched but not downloaded yet comes back still marked as waiting for files."""
    journal = FetchJournal(tmp_path / "fetched")
    remote = {"type": "file", "file": {"url": "https://s3/p.png?X-Amz-Signature=1"}}
    record = {
        "page": {"object": "page", "id": PAGE_ID, "last_edited_time": EDITED},
        "blocks": [{"object": "block", "type": "image", "image": remote}],
    }
    journal.save(PAGE_ID, FetchedRecord(record, {}, FetchReport(), files_pending=True))
    kept = _load(FetchJournal(tmp_path / "fetched"))
    assert kept is not None
    assert kept.files_pending
    assert kept.record == record
    assert kept.files == {}


def test_fetchjournal_entry_without_downloads_is_one_file(tmp_path: Path) -> None:
    """An object with no downloaded file costs one file and no folder, and ``committed``
    removes it; one with downloads gets a folder for them, removed with it."""
    journal = FetchJournal(tmp_path / "fetched")
    plain = FetchedRecord(
        {"page": {"object": "page", "id": PAGE_ID, "last_edited_time": EDITED}, "blocks": []},
        {},
        FetchReport(),
    )
    journal.save(PAGE_ID, plain)
    assert sorted(p.name for p in (tmp_path / "fetched").iterdir()) == [f"{PAGE_ID}.json"]
    other = "1c5a7a4e-0a8c-4c5e-9d55-6a3c1f2b9e02"
    journal.save(other, _fetched())
    assert (tmp_path / "fetched" / other).is_dir()
    journal.committed({PAGE_ID: EDITED, other: EDITED})
    assert list((tmp_path / "fetched").iterdir()) == []
