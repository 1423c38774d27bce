"""The state on COS, behind the :class:`~reconciler.state.protocols.StateStore` Protocol.

Layout under the configured ``key`` (all objects immutable, created with forbid-overwrite):

- ``<key>.states/<serial>``: state versions, each a v2 header (:mod:`..segments`) naming its
  segments (or a whole version 1 document, from before format 2). The newest is the state; a
  writer creates version N+1 only after reading N and the journal on top of it, and only one
  writer can create N+1, so no writer ever overwrites a state it did not read.
- ``<key>.segments/<name>``: immutable segments of records; a compaction creates one holding
  the records that changed (and the newest segments it merges) before the header naming it,
  and beside a big one its pack sidecar ``<name>.pack`` (:mod:`..packfile`). Segments no kept
  version names, and their packs, are deleted when old versions are pruned.
- ``<key>.journal/<lineage>/<serial>/<seq>``: chunks written on top of version ``serial``
  (:mod:`.cosjournal`), folded into a new version at the end of a run and then deleted.
- ``<key>.lock/<generation>``: the lease (:mod:`.lease`).

A crash loses nothing reported as recorded: every put is in a chunk before it returns. The next
writer seals the journal, replays it and compacts (version N+1), exactly as the local store
recovers its journal after ``kill -9``.
"""

from __future__ import annotations

import logging

from reconciler.errors import StateError
from reconciler.model.records import StateSnapshot
from reconciler.model.times import utc_now
from reconciler.state.clock import SYSTEM_CLOCK, Clock
from reconciler.state.cos.journal import (
    COMMIT,
    ENTRIES,
    SEAL,
    Chunk,
    ChunkWriter,
    journal_dir,
    read_chunks,
)
from reconciler.state.cos.lease import Lease, LeaseChain, LeaseHolder, force_unlock
from reconciler.state.cos.objects import (
    ObjectStore,
    create_exactly,
    delete_quietly,
    list_all,
    list_keys,
    read_newest,
)
from reconciler.state.document import Document, new_document
from reconciler.state.layout import (
    Compaction,
    Loaded,
    full_compaction,
    load_state,
    parse_state_file,
    verify_segments,
)
from reconciler.state.packfile import pack_name, with_packs
from reconciler.state.segments import (
    HEADER_MAX_BYTES,
    Header,
    SegmentBuilder,
    SegmentInfo,
    SegmentMissing,
    render_header,
)
from reconciler.state.view import RecordView, read_snapshot

log = logging.getLogger(__name__)
KEEP_VERSIONS = 10  # older state versions (and their journal seals) are pruned


class _Named:
    """A path-like name for messages (``refusal`` and friends print it)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = url

    def with_name(self, name: str) -> _Named:
        return _Named(name)

    def __str__(self) -> str:
        return self.url


class CosStateStore:
    """The state at ``key`` in one bucket, reached through ``objects`` (a CIClient)."""

    def __init__(
        self,
        objects: ObjectStore,
        key: str,
        *,
        name: str,
        lease_seconds: float,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.objects = objects
        self.clock = clock
        self.key = key
        self.name = name
        self.lease_seconds = lease_seconds
        self.states_prefix = key + ".states/"
        self.segments_prefix = key + ".segments/"

    @property
    def location(self) -> str:
        return self.name

    def exists(self) -> bool:
        """At least one state version exists under the key."""
        return bool(self.objects.list_objects(prefix=self.states_prefix, max_keys=1).objects)

    def force_unlock(self, lock_id: str) -> str:
        """Publish a released lease generation over ``lock_id`` (see :func:`force_unlock`)."""
        held = force_unlock(self.chain(), lock_id)
        return f"Lock {lock_id} of {held.describe()} released."

    def holder(self) -> str | None:
        lease = self.chain().newest()
        if lease is None or lease.released or lease.expired(self.clock.time()):
            return None
        return f"{lease.describe()}, lock id {lease.lock_id}"

    def chain(self) -> LeaseChain:
        return LeaseChain(self.objects, self.key, self.name)

    def read_segment(self, name: str) -> bytes | None:
        found = self.objects.read_object(self.segments_prefix + name)
        return None if found is None else found[0]

    def read_pack(self, segment: str) -> bytes | None:
        """The pack sidecar of ``segment`` (:mod:`reconciler.state.packfile`), if any."""
        return self.read_segment(pack_name(segment))

    def newest(self, *, packed: bool = False, writer: bool = False) -> tuple[int, Loaded] | None:
        """(serial, state) of the newest version with its segments, or None when there is none
        (``packed``: its jobs packed, for a snapshot or a writer's base)."""
        gone = f"state {self.name}: the newest version keeps disappearing"
        for attempt in range(5):
            found = read_newest(self.objects, self.states_prefix, gone)
            if found is None:
                return None
            key, data = found
            where = _Named(f"{self.name} ({key})")
            try:
                loaded = load_state(
                    data,
                    where,  # type: ignore[arg-type]
                    self.read_segment,
                    packed=packed,
                    read_pack=self.read_pack,
                    verify_packed=writer,
                )
            except SegmentMissing:  # pruned meanwhile: a newer version exists
                if attempt == 4:
                    raise
                continue
            return loaded.doc.serial, loaded
        raise StateError(gone)

    def load(
        self, *, packed: bool = False, writer: bool = False
    ) -> tuple[Loaded | None, list[Chunk]]:
        """The newest version and the journal chunks on top of it, consistently (``writer``:
        see ``verify_packed`` of :func:`~reconciler.state.layout.load_state`)."""
        for _ in range(10):
            top = self.newest(packed=packed, writer=writer)
            if top is None:
                return None, []
            serial, loaded = top
            lineage = loaded.doc.lineage
            chunks = read_chunks(self.objects, journal_dir(self.key, lineage, serial), lineage)
            again = list_keys(self.objects, self.states_prefix)  # a compaction deletes chunks
            if again and int(again[-1].rsplit("/", 1)[1]) == serial:
                return loaded, chunks
        raise StateError(f"state {self.name} keeps changing while being read; try again")

    def verify(self) -> int:
        """See ``StateStore.verify``; a segment pruned meanwhile is looked for again under
        the newer version."""
        gone = f"state {self.name}: the newest version keeps disappearing"
        for _ in range(5):
            found = read_newest(self.objects, self.states_prefix, gone)
            if found is None:
                return 0
            key, data = found
            try:
                return verify_segments(data, _Named(f"{self.name} ({key})"), self.read_segment)  # type: ignore[arg-type]
            except SegmentMissing:
                again = read_newest(self.objects, self.states_prefix, gone)
                if again is not None and again[0] == key:
                    raise
        raise StateError(gone)

    def read(self) -> StateSnapshot:
        """The current state without taking the lease (for plan and status)."""
        loaded, chunks = self.load(packed=True)
        return read_snapshot(loaded, [e for c in chunks for e in c.entries])

    def open(self, *, command: str = "", wait_seconds: float = 0.0) -> CosStateWriter:
        """Take the lease (waiting up to ``wait_seconds``), seal and recover the journal."""
        holder = LeaseHolder(
            self.chain(), duration=self.lease_seconds, command=command, clock=self.clock
        )
        dead = holder.acquire(wait_seconds)
        try:
            writer = self._recover(holder)
        except BaseException:
            holder.release()
            raise
        if dead is not None:
            writer.warnings += (_takeover_message(dead, writer.recovered),)
            log.warning("%s", writer.warnings[-1])
        return writer

    def _recover(self, holder: LeaseHolder) -> CosStateWriter:
        for _ in range(10):
            loaded, _ = self.load(packed=True, writer=True)
            if loaded is None:
                data = render_header(Header(0, new_document().lineage, utc_now(), ()))
                create_exactly(self.objects, f"{self.states_prefix}{0:012d}", data)
                continue  # whoever created version 0, read it back
            writer = CosStateWriter(self, holder, loaded)
            if writer.seal_and_replay():
                return writer
        raise StateError(f"state {self.name}: could not seal the journal; try again")


def _takeover_message(dead: Lease, recovered: int) -> str:
    what = f"recovered {recovered} journal entries" if recovered else "no journal entries left"
    return (
        f"took over the expired state lease of {dead.describe()} (lock id {dead.lock_id}); {what}"
    )


class CosStateWriter(RecordView):
    """Exclusive, thread-safe write access to a COS state; use as a context manager."""

    def __init__(self, store: CosStateStore, holder: LeaseHolder, loaded: Loaded):
        self._store = store
        self._holder = holder
        self._chunks = ChunkWriter(store.objects, holder.lock_id, holder.check)
        self._chunks.directory = journal_dir(store.key, loaded.doc.lineage, loaded.doc.serial)
        super().__init__(store.name, loaded, self._chunks.commit)
        self._garbage: list[str] = []  # replayed chunk keys, deleted after the next compaction
        self.recovered = 0

    def seal_and_replay(self) -> bool:
        """Seal the journal at its next free number, then replay everything below the seal.

        False when the state moved meanwhile (the caller reloads)."""
        chunks = read_chunks(self._store.objects, self._chunks.directory, self._lineage)
        self._chunks.next_seq = (chunks[-1].seq + 1) if chunks else 1
        try:
            self._chunks.put_chunk(SEAL, [])
        except StateError:
            return False  # a previous holder wrote that number first: read again
        newest = list_keys(self._store.objects, self._store.states_prefix)
        if not newest or int(newest[-1].rsplit("/", 1)[1]) != self._serial:
            return False
        chunks = read_chunks(self._store.objects, self._chunks.directory, self._lineage)
        entries = [e for c in chunks if c.kind == ENTRIES for e in c.entries]
        self._replay(entries)
        self.recovered = len(entries)
        self._garbage = [c.key for c in chunks if c.kind != SEAL]
        self._commit.entries = len(entries)
        if entries:
            self.compact(force=True)
        return True

    @property
    def lock_id(self) -> str:
        return self._holder.lock_id

    def replace_all(self, doc: Document) -> None:
        """Make ``doc`` the state as version ``doc.serial`` (``state push``)."""
        with self._commit.quiesced():
            self._refuse_older(doc)
            lineage = self._lineage
            self._lineage = doc.lineage  # the version is written in the pushed lineage
            try:
                garbage = self._fold(
                    full_compaction(doc.serial, doc.lineage, doc.templates, doc.jobs)
                )
            except BaseException:  # not pushed: closing must not write it as the next version
                self._lineage = lineage
                raise
            self._reset(doc)
        self._clean(garbage)

    def compact(self, *, force: bool = False) -> None:
        """Fold the journal into state version N+1, then delete the folded chunks."""
        with self._commit.quiesced():
            if self._commit.entries == 0 and not force:
                return
            garbage = self._fold(self._next_compaction())
        self._clean(garbage)

    def _fold(self, comp: Compaction | None) -> list[str]:
        """Create the version ``comp`` describes (None: nothing changed); returns the chunk keys
        it made garbage. Call while quiesced."""
        self._holder.check()
        if comp is not None:
            self._chunks.put_chunk(COMMIT, [])  # fencing: fails if we lost the lease
            info = None if comp.empty else self._create_segment(comp)
            header = comp.header(info)
            self._create_version(render_header(header), header.serial)
            self._compacted(header)
            self._chunks.directory = journal_dir(self._store.key, self._lineage, self._serial)
            self._chunks.next_seq = 1
        # Seals stay: they fence previous holders that may still be running.
        garbage = self._garbage + [k for k, kind in self._chunks.written if kind != SEAL]
        self._garbage, self._chunks.written = [], []
        self._commit.entries = 0
        return garbage

    def _create_segment(self, comp: Compaction) -> SegmentInfo:
        """The compaction's segment object, then (a big one) its pack sidecar."""
        builder, pack = SegmentBuilder(comp.name), comp.pack_builder()
        body = b"".join(builder.add(line) for line in comp.lines(pack)) + builder.finish()
        info = builder.info()
        prefix = self._store.segments_prefix
        if not create_exactly(self._store.objects, prefix + comp.name, body):
            raise StateError(f"state {self._store.name}: segment {comp.name} exists")
        del body
        if pack is not None:  # already there: this writer's earlier attempt made it
            create_exactly(self._store.objects, prefix + pack_name(comp.name), pack.encode(info))
        return info

    def _read_segment(self, name: str) -> bytes | None:
        return self._store.read_segment(name)

    def _clean(self, garbage: list[str]) -> None:
        delete_quietly(self._store.objects, garbage)
        self._prune()

    def _create_version(self, body: bytes, serial: int) -> None:
        key = f"{self._store.states_prefix}{serial:012d}"
        if not create_exactly(self._store.objects, key, body):
            found = self._store.objects.read_object(key)
            if found is None or found[0] != body:
                raise StateError(
                    f"state {self._store.name}: version {serial} was written by "
                    "another runner (this run lost the lease); rerun the command"
                )

    def _prune(self) -> None:
        """Drop versions (and their journal directories) older than the last KEEP_VERSIONS,
        then the segments no remaining version names."""
        floor = self._serial - KEEP_VERSIONS
        if floor <= 0:
            return
        objects = self._store.objects
        listed = list_all(objects, self._store.states_prefix)
        versions = [o.key for o in listed]
        old = [k for k in versions if int(k.rsplit("/", 1)[1]) < floor]
        for key in old:
            serial = int(key.rsplit("/", 1)[1])
            directory = journal_dir(self._store.key, self._lineage, serial)
            delete_quietly(objects, list_keys(objects, directory))
        delete_quietly(objects, old)
        keep = set()
        for info in listed[len(old) :]:
            if info.size > HEADER_MAX_BYTES:
                continue  # a whole format-1 document: names no segments, not worth a download
            key = info.key
            found = objects.read_object(key)
            if found is None:
                continue
            try:
                parsed = parse_state_file(found[0], _Named(key))  # type: ignore[arg-type]
            except StateError:
                return  # a version we cannot read: keep every segment (litter, not loss)
            if isinstance(parsed, Header):
                keep |= {s.name for s in parsed.segments}
        keep = with_packs(keep)
        prefix = self._store.segments_prefix
        segments = list_keys(objects, prefix)
        delete_quietly(objects, [k for k in segments if k[len(prefix) :] not in keep])

    def _finish(self) -> None:
        """Compact unless a chunk PUT failed (the journal then stays for the next writer to
        seal and replay)."""
        if not self._commit.failed:
            self.compact()

    def abandon(self) -> None:
        """Release the lease without compacting (the journal keeps what was written)."""
        self._closed = True
        self._holder.release()
