"""The per-job fingerprint parts built as text equal the generic canonical-JSON digests.

Recorded fingerprints decide whether a job is submitted again, so the fast form used by
expansion must give the same hex as :func:`reconciler.plan.fingerprint.digest` for any text:
escapes, non-ASCII, quotes, control characters, ``None`` members.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.model import JobOutput
from reconciler.plan import naming
from reconciler.plan.fingerprint import OutputDigest, _plain, digest, input_digest

TEXT = st.text(max_size=40)
MAYBE = st.none() | TEXT


@given(TEXT, TEXT, MAYBE, MAYBE)
def test_output_digest_is_the_canonical_one(
    region: str, bucket: str, obj: str | None, sprite: str | None
) -> None:
    output = JobOutput(region=region, bucket=bucket, object=obj, sprite_object=sprite)
    assert OutputDigest(region, bucket)(obj, sprite) == digest(_plain(output))


@given(TEXT, MAYBE)
def test_input_digest_is_the_canonical_one(key: str, etag: str | None) -> None:
    assert input_digest(key, etag) == digest({"key": key, "etag": etag})


def test_known_values_do_not_move() -> None:
    """Pinned hex: a change here would re-submit every recorded job of every user."""
    assert input_digest("videos/a.mp4", None) == "77b74d75f83f"
    assert OutputDigest("ap-x", "b-1")("f/{a}.jpg", None) == "e9879f48379c"


PATTERN = st.lists(
    st.sampled_from(["{path}", "{stem}", "{name}", "{ext}", "{dir}", "{dir}/", "/", ".", "x",
                     "${number}", "{other}", "{", "}", "é"]),
    max_size=6,
).map("".join)  # fmt: skip
KEY = st.lists(st.sampled_from(["a", "b.mp4", ".", "/", "..", "v", "é.mov"]), max_size=6).map(
    "".join
)


@given(PATTERN, KEY)
def test_a_pattern_renderer_is_render_output(pattern: str, key: str) -> None:
    assert naming.renderer(pattern)(key) == naming.render_output(pattern, key)
