"""Expand batches into concrete jobs: one rendered request, fingerprint and marker per input.

Pure: it takes the desired state, the prefix listings already fetched and the content hashes of
the templates, and returns values. The *marker* is a deterministic token derived from the job key
and fingerprint that reconciler appends to the job's UserData; after a lost reply or a crash the
job is found again by listing jobs for the input object and matching the marker exactly, so a
submission is never repeated blindly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from reconciler.errors import PlanError
from reconciler.model import BatchSpec, DesiredState, JobOutput, JobRequest
from reconciler.plan import naming
from reconciler.plan.fingerprint import compose, digest, request_part
from reconciler.plan.observed import Listing

NO_LISTING = Listing()


@dataclass(frozen=True)
class DesiredJob:
    """One job the manifests ask for. ``template`` names a manifest template whose ID is only
    known at apply time; ``request.template_id`` is set when the batch names an ID directly."""

    batch: str
    input_object: str
    target: str
    template: str | None
    request: JobRequest
    fingerprint: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.batch, self.input_object)


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


def expand_batch(
    batch: BatchSpec, inputs: Iterable[tuple[str, str | None]], template_content: str
) -> list[DesiredJob]:
    """Render every job of one batch."""
    part = request_part(
        snapshot=batch.snapshot,
        user_data=batch.user_data,
        job_level=batch.job_level,
        queue_id=batch.queue_id,
        callback=batch.callback,
    )
    part_digest = digest(part)
    callback = batch.callback
    base = JobRequest(
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
    jobs = []
    for key, etag in inputs:
        obj, sprite = naming.output_keys(batch.output, key)
        output = replace(base.output, object=obj, sprite_object=sprite)
        fp = compose(part_digest, template_content, output, {"key": key, "etag": etag})
        user_data = with_marker(batch.user_data, marker_for(batch.name, key, fp))
        request = replace(base, input_object=key, output=output, user_data=user_data)
        jobs.append(DesiredJob(batch.name, key, batch.target, batch.template, request, fp))
    return jobs


def expand(
    desired: DesiredState,
    listings: Mapping[str, Listing],
    template_content: Mapping[str, str],
) -> list[DesiredJob]:
    """All desired jobs. ``listings`` maps batch name -> prefix listing; ``template_content``
    maps batch name -> content hash of the template it uses (inline settings hash to themselves)."""
    jobs: list[DesiredJob] = []
    for name in sorted(desired.batches):
        batch = desired.batches[name]
        inputs = batch_inputs(batch, listings.get(name, NO_LISTING))
        jobs.extend(expand_batch(batch, inputs, template_content[name]))
    check_output_collisions(jobs)
    return jobs


def check_output_collisions(jobs: Iterable[DesiredJob]) -> None:
    """Two jobs writing the same output key would overwrite each other: refuse the plan."""
    owners: dict[tuple[str, str], tuple[str, str]] = {}
    clashes: list[str] = []
    for job in jobs:
        out = job.request.output
        for key in {k for k in (out.object, out.sprite_object) if k}:
            slot = (out.bucket, key)
            first = owners.setdefault(slot, job.key)
            if first != job.key:
                clashes.append(
                    f"{key!r} written by {first[0]}/{first[1]} and {job.batch}/{job.input_object}"
                )
    if clashes:
        more = f" (and {len(clashes) - 3} more)" if len(clashes) > 3 else ""
        raise PlanError("output collision: " + "; ".join(clashes[:3]) + more)
