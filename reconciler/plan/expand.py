"""Expand batches into concrete jobs: one fingerprint, output keys and marker per input.

Pure: it takes the desired state, the prefix listings already fetched and the content hashes of
the templates, and yields values one at a time (:func:`iter_expand`), so a plan of a million
inputs never holds a million of them unless its caller keeps them. The *marker* is a
deterministic token derived from the job key and fingerprint that reconciler appends to the
job's UserData; after a lost reply or a crash the job is found again by listing jobs for the
input object and matching the marker exactly, so a submission is never repeated blindly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import NamedTuple

from reconciler.model import BatchSpec, DesiredState, JobOutput, JobRequest
from reconciler.plan import naming
from reconciler.plan.collisions import Slot, SlotHashes, clashes, refuse
from reconciler.plan.fingerprint import OutputDigest, digest, input_digest, request_part
from reconciler.plan.observed import Listing

NO_LISTING = Listing()


class DesiredJob(NamedTuple):
    """One job the manifests ask for. ``template`` names a manifest template whose ID is only
    known at apply time; ``base.template_id`` is set when the batch names an ID directly.

    Small and cheap on purpose: a plan makes one per input (a named tuple is built several
    times faster than a frozen dataclass), and the full :attr:`request` (output, marker) is
    only needed for jobs that are submitted, so it is built from the batch's shared ``base``
    on demand instead of once per input."""

    batch: str
    input_object: str
    target: str
    template: str | None
    fingerprint: str
    output_object: str | None
    sprite_object: str | None
    base: JobRequest  # the batch's request without input, output keys and marker

    @property
    def key(self) -> tuple[str, str]:
        return (self.batch, self.input_object)

    @property
    def request(self) -> JobRequest:
        """The request as sent: the batch's, with this input, its outputs and the marker."""
        output = replace(
            self.base.output, object=self.output_object, sprite_object=self.sprite_object
        )
        marker = marker_for(self.batch, self.input_object, self.fingerprint)
        user_data = with_marker(self.base.user_data, marker)
        return replace(
            self.base, input_object=self.input_object, output=output, user_data=user_data
        )

    @property
    def slots(self) -> set[Slot]:
        """The output slots (bucket, key) it writes."""
        bucket = self.base.output.bucket
        return {(bucket, k) for k in (self.output_object, self.sprite_object) if k}


def marker_for(batch: str, input_object: str, fingerprint: str) -> str:
    """Deterministic marker for a job key and fingerprint (same inputs, same marker)."""
    raw = f"{batch}\0{input_object}\0{fingerprint}".encode()
    return naming.MARKER_PREFIX + hashlib.sha256(raw).hexdigest()[: naming.MARKER_HEX_DIGITS]


def with_marker(user_data: str | None, marker: str) -> str:
    """UserData as sent: the user's text, a space, then the marker."""
    return f"{user_data} {marker}" if user_data else marker


def has_marker(user_data: str | None, marker: str) -> bool:
    """Whether a job reported by the service carries exactly this marker."""
    return bool(user_data) and (user_data == marker or str(user_data).endswith(" " + marker))


def batch_inputs(batch: BatchSpec, listing: Listing) -> Iterator[tuple[str, str | None]]:
    """(key, etag) per input, sorted by key: explicit objects and key-file keys (etag unknown
    unless listed) merged with the filtered prefix listing.

    The listing is walked once, as it streams (it is sorted by key, see ``Listing``), and merged
    with the few explicit and key-file keys held in memory: no key -> etag map or sorted copy of
    a million listed objects. A key both given and listed takes the listed ETag."""
    selector = batch.inputs
    given = naming.select_inputs((), selector)  # sorted, each once
    if selector.prefix is None:
        return ((key, None) for key in given)
    wanted = set(given)
    listed = (
        (key, etag)
        for key, etag in listing.pairs()
        if key in wanted or naming.is_listed_input(key, selector)
    )
    return _merged(given, listed)


def _merged(
    given: list[str], listed: Iterable[tuple[str, str]]
) -> Iterator[tuple[str, str | None]]:
    """Two key-sorted inputs as one: ``listed`` wins where a key is in both."""
    at = 0
    for key, etag in listed:
        while at < len(given) and given[at] < key:
            yield given[at], None
            at += 1
        if at < len(given) and given[at] == key:
            at += 1
        yield key, etag
    for rest in given[at:]:
        yield rest, None


def batch_request(batch: BatchSpec) -> JobRequest:
    """What every job of ``batch`` sends alike: all but its input, output keys and marker."""
    callback = batch.callback
    return JobRequest(
        input_object="",
        output=JobOutput(region=batch.output.region, bucket=batch.output.bucket),
        template_id=batch.template_id,
        snapshot=batch.snapshot,  # beside a template too: sent as written, the service ignores it
        user_data=batch.user_data,
        job_level=batch.job_level,
        queue_id=batch.queue_id,
        callback=callback.url if callback else None,
        callback_format=callback.format if callback else None,
        callback_type=callback.type if callback else None,
        mq_config=callback.mq if callback else None,
    )


def iter_batch(
    batch: BatchSpec,
    inputs: Iterable[tuple[str, str | None]],
    template_content: str,
    hashes: SlotHashes | None = None,
) -> Iterator[DesiredJob]:
    """Render every job of one batch, one at a time. The four fingerprint parts are those of
    :func:`reconciler.plan.fingerprint.job_fingerprint`; the per-job two are built as text.
    ``hashes``: where each job's output slots are noted for the collision check."""
    part = request_part(
        snapshot=batch.snapshot,
        user_data=batch.user_data,
        job_level=batch.job_level,
        queue_id=batch.queue_id,
        callback=batch.callback,
    )
    prefix = f"{digest(part)}.{template_content}."
    base = batch_request(batch)
    out_digest = OutputDigest(batch.output.region, batch.output.bucket)
    name, target, template = batch.name, batch.target, batch.template
    obj_of = None if batch.output.object is None else naming.renderer(batch.output.object)
    sprite_pattern = batch.output.sprite_object
    sprite_of = None if sprite_pattern is None else naming.renderer(sprite_pattern)
    bucket = batch.output.bucket
    add = hashes.add if hashes is not None else None
    for key, etag in inputs:
        obj = None if obj_of is None else obj_of(key)
        sprite = None if sprite_of is None else sprite_of(key)
        if add is not None:  # DesiredJob.slots, spelled out: no set per job on this hot path
            if obj:
                add((bucket, obj))
            if sprite and sprite != obj:
                add((bucket, sprite))
        fp = f"{prefix}{out_digest(obj, sprite)}.{input_digest(key, etag)}"
        yield DesiredJob(name, key, target, template, fp, obj, sprite, base)


def expand_batch(
    batch: BatchSpec, inputs: Iterable[tuple[str, str | None]], template_content: str
) -> list[DesiredJob]:
    """Every job of one batch, as a list."""
    return list(iter_batch(batch, inputs, template_content))


def _all_jobs(
    desired: DesiredState,
    listings: Mapping[str, Listing],
    template_content: Mapping[str, str],
    hashes: SlotHashes | None = None,
) -> Iterator[DesiredJob]:
    for name in sorted(desired.batches):
        batch = desired.batches[name]
        inputs = batch_inputs(batch, listings.get(name, NO_LISTING))
        yield from iter_batch(batch, inputs, template_content[name], hashes)


def iter_expand(
    desired: DesiredState,
    listings: Mapping[str, Listing],
    template_content: Mapping[str, str],
) -> Iterator[DesiredJob]:
    """All desired jobs in key order, one at a time: nothing is kept per job but 8 bytes per
    output slot for the collision check (:mod:`reconciler.plan.collisions`), which runs when
    the last job has been yielded and raises ``PlanError`` then."""
    hashes = SlotHashes()
    yield from _all_jobs(desired, listings, template_content, hashes)
    suspects = hashes.repeated()
    if suspects:
        again = _all_jobs(desired, listings, template_content)
        refuse(clashes(suspects, ((job.key, job.slots) for job in again)))


def expand(
    desired: DesiredState,
    listings: Mapping[str, Listing],
    template_content: Mapping[str, str],
) -> list[DesiredJob]:
    """All desired jobs. ``listings`` maps batch name -> prefix listing; ``template_content``
    maps batch name -> content hash of the template it uses (inline settings hash to themselves)."""
    return list(iter_expand(desired, listings, template_content))
