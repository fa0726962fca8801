"""The commit step of a sync: checkpoints, the new watermark, the final commit.

Separate from fetching: it sees the mirror's working tree, the report and what the
listing showed (``window``: the newest ``last_edited_time``, the search lag), nothing
else. A checkpoint commits what is written so far with the old watermark (a crash loses
minutes, not the run); only the final commit moves the watermark, as far as
``planner.next_watermark`` allows, and updates the caller's pages gauge.

Each commit is authored by the Notion editors of the objects it writes
(``sync.authors``) when ``people`` names them; the daemon commits. Several editors:
one chained commit per editor first (``CommitStep``), the rest last; the branch moves
once. A page whose blocks others changed too gets an intermediate version in each
earlier co-editor's commit (``sync.pageversions``), so ``git blame`` names the editor
of each changed block; the last commit's tree is the same either way.
Users ``people`` learned from Notion are added to the authors map (``sync.authorsmap``)
in the commit that first needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import structlog

from notion_syncd import memory, metrics
from notion_syncd.gitstore import Author, CommitStep, Mirror
from notion_syncd.restore import announce
from notion_syncd.sync import lag, planner
from notion_syncd.sync.authors import (
    Authorship,
    Edit,
    authorship,
    by_editor,
    co_authored,
    epoch,
    with_event_authors,
)
from notion_syncd.sync.authorsmap import AUTHORS_FILE, with_learned
from notion_syncd.sync.fetchjournal import FetchJournal
from notion_syncd.sync.gaps import Gap, carry_gaps, write_gaps
from notion_syncd.sync.idset import IdSet
from notion_syncd.sync.pageversions import (
    Record,
    SharedPage,
    editor_chain,
    intermediate_records,
)
from notion_syncd.sync.people import People
from notion_syncd.sync.report import LIST_LIMIT, SyncReport
from notion_syncd.sync.rerender import rebuild_views
from notion_syncd.sync.state import LEDGER_FILE, STATE_FILE, SyncState, dump_json, index_path
from notion_syncd.sync.window import ListingWindow
from notion_syncd.sync.writer import SUFFIXES, MirrorWriter
from notion_syncd.terms import display_title

log = structlog.get_logger()


FINAL_BATCH_CHECKPOINTS = 1
"""The final phase renders pages that waited (``sync.waitingviews``) this many
checkpoints' worth at a time, each batch committed, so it holds about 2 KB per page of
one batch (changed paths, pack entries). The search shards are not written per batch:
at most every ``SEARCH_HELD_LIMIT`` entries (``Views._search_due``). In the 10,000-page
export (about 7,000 pages wait), batches of 4 checkpoints (2,000 pages) peaked at 96.8
MB (``bench_scale.py``), in the commit of the batch that wrote the search; batches of
one checkpoint at 92.7 MB, in 114.8 s against 117.1 (stop 29). Before the search was
held, batches of 500 that each wrote the shards took 348 s against 298 s for one batch."""
FINAL_BATCH_PAGES = 500 * FINAL_BATCH_CHECKPOINTS


class Committer:
    """Commits a sync's work: checkpoints along the way and the final commit."""

    def __init__(
        self,
        mirror: Mirror,
        writer: MirrorWriter,
        report: SyncReport,
        state: SyncState,
        window: ListingWindow,
        *,
        formats: tuple[str, ...],
        author: Author,
        count_requests: Callable[[], None],
        pages: metrics.PagesGauge | None,
        gaps: Mapping[str, Gap] | None = None,
        people: People | None = None,
        event_authors: Mapping[str, frozenset[str]] | None = None,
        journal: FetchJournal | None = None,
        final_batch: int = FINAL_BATCH_PAGES,
    ) -> None:
        self._mirror = mirror
        self._writer = writer
        self._report = report
        self._state = state
        self._window = window
        self._formats = formats
        self._author = author
        self._count_requests = count_requests
        self._pages = pages
        """None: nobody reads the gauge (a command's single sync), so nothing counts."""
        began = mirror.head_commit()
        self._began_at = str(began.id) if began is not None else None
        self._previous_gaps: Mapping[str, Gap] = gaps or {}
        self._people = people
        """Notion user ids -> identities; None: every commit by the daemon (old shape)."""
        self._event_authors: Mapping[str, frozenset[str]] = event_authors or {}
        """Object id -> users the webhook events since the last sync name as its authors."""
        self._journal = journal
        self._final_batch = final_batch
        """Waiting pages rendered between two commits when more wait (``finish``)."""
        self._authored = IdSet()
        """Ids whose edits an earlier commit of this sync was authored by."""

    def checkpoint(self) -> None:
        """Commit what is written so far, keeping the old watermark."""
        self._writer.views.flush()
        if not self._mirror.has_staged_changes():
            return
        self._report.watermark = self._state.watermark
        commit = self._commit(self._state.watermark, complete=False)
        if commit:
            self._report.checkpoints += 1
            log.info("sync.checkpoint", commit=commit, written=len(self._writer.written))
            if self._journal is not None:
                self._journal.committed(self._writer.written)

    def finish(self) -> None:
        """Bring every view up to date, move the watermark and make the final commit."""
        writer = self._writer
        if self._state.formats and set(self._state.formats) != set(self._formats):
            # export.formats changed since the mirror was written: a local re-render.
            rendered = rebuild_views(self._mirror, writer.index, self._formats)
            log.info("sync.formats_changed", formats=list(self._formats), rendered=rendered)
        while len(writer.views.waiting) > self._final_batch:
            writer.views.render_waiting(self._final_batch)
            self.checkpoint()  # the search shards wait (``Views._search_due``)
        writer.views.flush(final=True)
        if "html" in self._formats and writer.index_html_due:
            writer.views.write_index_html()
        elif "html" in self._formats:
            writer.views.write_assets()  # the assets of this version (unchanged: no write)
        failed = [f.last_edited_time for f in self._report.failures if f.last_edited_time]
        watermark = planner.next_watermark(
            self._state.watermark, self._window.newest_seen, planner.oldest(failed)
        )
        self._report.watermark = watermark
        self._stage_gaps()
        if self._mirror.has_staged_changes() or watermark != self._state.watermark:
            self._commit(watermark, complete=True)
        writer.views.forget_waiting()
        if self._journal is not None:
            self._journal.clear()
        if self._pages is not None:
            head = self._mirror.head_commit()
            self._pages.update(
                writer.index.count,
                net_added=writer.index.net_added,
                began_at=self._began_at,
                head=str(head.id) if head is not None else None,
            )
        memory.release_free_memory()  # what the final step held, before the daemon waits

    def _stage_gaps(self) -> None:
        """``gaps.json``: the earlier gaps not filled yet, and what this sync missed."""
        written = self._writer.written
        failed = [
            Gap(failure.id, failure.kind, failure.reason)
            for failure in self._report.failures
            if failure.id not in written
        ]
        gaps = carry_gaps(
            self._previous_gaps,
            written=written,
            resolved=self._report.gaps_resolved,
            new=[*failed, *self._report.missing_files.values()],
        )
        self._report.gaps = gaps
        write_gaps(self._mirror, gaps)

    def _commit(self, watermark: str | None, *, complete: bool) -> str | None:
        self._stage_gaps()
        search_lag = lag.remembered_lag(self._state.search_lag, self._window.lag_observed())
        state = SyncState(watermark=watermark, formats=self._formats, search_lag=search_lag)
        self._mirror.write(STATE_FILE, state.to_json())
        self._count_requests()
        ledger = self._report.ledger()
        if not complete:
            ledger["complete"] = False
        self._mirror.write(LEDGER_FILE, dump_json(ledger))
        message = self._report.commit_message(checkpoint=not complete)
        edits = with_event_authors(
            {i: e for i, e in self._writer.edits.items() if i not in self._authored},
            self._event_authors,
        )
        editors = {edit.user_id for edit in edits.values()}
        # Deletions are nobody's edit: with them, even one editor gets a commit of their
        # own and the daemon commits the rest.
        split = self._people is not None and (
            len(editors) > 1 or (len(editors) == 1 and self._report.count("deleted") > 0)
        )
        by = self._authorship(edits.values(), by_daemon=split)
        steps: tuple[CommitStep, ...] = ()
        if by.trailers:
            message = message.rstrip("\n") + "\n\n" + "\n".join(by.trailers) + "\n"
        if self._people is not None:
            steps = self._steps(edits, split=split)
        for object_id in edits:  # their intermediate versions are decided
            self._writer.co_edited.pop(object_id, None)
        self._write_authors()
        commit = self._mirror.commit(
            message,
            by.author,
            committer=self._author,
            author_time=by.when,
            steps=steps,
            moves_first=self._people is not None,  # git.commit_authors = false: one commit
        )
        self._authored.update(edits)
        self._writer.edits.clear()  # authored now, or by an earlier commit
        # Each commit frees the mirror's native state and what the objects since the
        # last one held: hand it back (glibc keeps freed pages otherwise; issue 10).
        memory.release_free_memory()
        if commit:
            self._announced()
            self._report.commit = commit
            metrics.GIT_COMMITS.labels("ok").inc()
        return commit

    def _write_authors(self) -> None:
        """Add the users learned so far to the authors map (no change: no write)."""
        if self._people is None or not self._people.learned:
            return
        current = self._mirror.read(AUTHORS_FILE)
        text = with_learned(
            current.decode("utf-8", errors="replace") if current else None, self._people.learned
        )
        self._mirror.write(AUTHORS_FILE, text.encode())

    def _announced(self) -> None:
        """The restored objects this commit named are struck from the restore records."""
        if not self._report.restored:
            return
        try:
            announce.settle(Path(self._mirror.repo.path), self._report.restored)
        except (OSError, ValueError, KeyError) as exc:  # the commit stands; named again later
            log.warning("sync.restore_record_failed", error=str(exc))
        self._report.restored.clear()

    def _steps(self, edits: Mapping[str, Edit], *, split: bool) -> tuple[CommitStep, ...]:
        """One commit per editor (``split``; else the last commit is the one editor's):
        the files and index entries of the objects they edited, and the intermediate
        versions of the pages they edited in part (``sync.pageversions``)."""
        assert self._people is not None
        index = self._writer.index
        shared = self._shared_pages(edits)
        chain = editor_chain(by_editor(edits) if split else [], shared)
        partial: dict[str, list[tuple[str, Record]]] = {}
        for page_id, page in sorted(shared.items()):
            for user_id, record in intermediate_records(page, [g.user_id for g in chain]):
                partial.setdefault(user_id, []).append((page_id, record))
        steps = []
        for group in chain:
            who = self._people.identity(group.user_id)
            paths: set[str] = set()
            lines = []
            contents: dict[str, bytes] = {}
            for page_id, record in partial.get(group.user_id, []):
                entry, stem = index.get(page_id), index.path_of(page_id)
                if stem is not None:
                    contents.update(self._writer.views.page_files(dict(record), stem))
                    title = display_title(entry.title if entry else "")
                    lines.append(f"- {title} ({stem}), in part")
            for object_id in group.ids:
                paths.add(index_path(object_id))
                entry, stem = index.get(object_id), index.path_of(object_id)
                if stem is not None:
                    paths.update(stem + suffix for suffix in SUFFIXES)
                    title = display_title(entry.title if entry else "")
                    lines.append(f"- {title} ({stem})")
            if not paths and not contents:
                continue
            count = len(group.ids) + len(partial.get(group.user_id, []))
            noun = "object" if count == 1 else "objects"
            subject = f"Edited by {who.name}: {count} {noun}"
            helpers = {user for i in group.ids for user in edits[i].co_editors} - {group.user_id}
            trailers = co_authored(helpers, {user: self._people.identity(user) for user in helpers})
            paragraphs = [subject, "", *lines[:LIST_LIMIT]]
            if trailers:
                paragraphs += ["", *trailers]
            message = "\n".join(paragraphs) + "\n"
            when = epoch(group.newest)
            steps.append(CommitStep(frozenset(paths), who, when, message, contents))
        return tuple(steps)

    def _shared_pages(self, edits: Mapping[str, Edit]) -> dict[str, SharedPage]:
        """The pages of ``edits`` co-edited since the mirrored version, old and new."""
        shared = {}
        for page_id, old in self._writer.co_edited.items():
            edit = edits.get(page_id)
            new = self._writer.views.stored(self._writer.index.path_of(page_id))
            if edit is not None and edit.co_editors and new is not None:
                shared[page_id] = SharedPage(edit.user_id, frozenset(edit.co_editors), old, new)
        return shared

    def _authorship(self, edits: Iterable[Edit], *, by_daemon: bool) -> Authorship:
        if self._people is None:
            return Authorship(self._author, None)
        edits = list(edits)
        users = {user for edit in edits for user in (edit.user_id, *edit.co_editors)}
        names = {user: self._people.identity(user) for user in users}
        return authorship(edits, names, self._author, by_daemon=by_daemon)
