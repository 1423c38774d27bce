"""The CI documentation's own submit examples, written as manifests, are sent field for field.

data/seed/requestN/ holds a Target, the batch, and the body of "Request N" as the CI submit page
shows it (request.xml, source URL inside). Request 2 sets BlackLevel and PixelBlackThreshold with
IsCheckBlack false: the service accepts that, so it validates (with warnings) and goes out as
written, explicit zeros and falses included. Both bodies are compared leaf by leaf: every element
path with its text, as a multiset, so order does not matter but nothing may be missing, extra or
different. Our UserData is the page's text plus " rcn:<16 hex>", the job marker.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from reconciler.emulator import EmulatorConfig, create_app
from reconciler.engine.workflow import Settings, apply_manifests
from reconciler.errors import ManifestError
from reconciler.manifest import load
from reconciler.model import DesiredState
from reconciler.plan import naming
from reconciler.plan.expand import batch_inputs, expand_batch
from reconciler.plan.observed import Listing
from reconciler.plan.planner import PlanOptions
from reconciler.remote.codec.build import job_body
from reconciler.remote.inprocess import wsgi_transport
from tests.helpers.identity import ENV, SECRET_ID, SECRET_KEY
from tests.helpers.manifest_files import DATA, REQUEST2_WARNINGS

SEED = DATA / "seed"
USER_DATA = "/Request/Operation/UserData"
MARKED = re.compile(rf"^(.*) {naming.MARKER_PREFIX}[0-9a-f]{{{naming.MARKER_HEX_DIGITS}}}$")


def _parse(body: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    return etree.fromstring(body, parser)


def leaves(body: bytes) -> Counter[tuple[str, str]]:
    """(element path, text) of every leaf, e.g. ('/Request/Operation/Snapshot/Count', '10')."""
    root = _parse(body)
    tree = root.getroottree()
    found: Counter[tuple[str, str]] = Counter()
    for element in root.iter():
        if len(element) == 0:
            path = re.sub(r"\[\d+\]", "", tree.getpath(element))
            found[(path, (element.text or "").strip())] += 1
    return found


def unmarked(found: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """The leaves with the job marker taken off UserData (it must be there, exactly once)."""
    user_data = [(p, t) for p, t in found if p == USER_DATA]
    assert len(user_data) == 1 and found[user_data[0]] == 1, user_data
    match = MARKED.match(user_data[0][1])
    assert match, f"UserData without the job marker: {user_data[0][1]!r}"
    rest = found - Counter(user_data)
    rest[(USER_DATA, match[1])] += 1
    return rest


def rendered_bodies(desired: DesiredState) -> Iterator[bytes]:
    for batch in desired.batches.values():
        for job in expand_batch(batch, batch_inputs(batch, Listing()), "inline"):
            yield job_body(job.request)


def seed_body(case: str) -> bytes:
    return (SEED / case / "request.xml").read_bytes()


def located(warnings: Iterable[Any]) -> list[tuple[int, int, str, str]]:
    return [(w.line, w.column, w.field, w.message) for w in warnings]


@pytest.mark.parametrize("case", ["request1", "request2"])
def test_rendered_request_matches_the_documentation(case: str) -> None:
    desired = load([SEED / case])
    (body,) = rendered_bodies(desired)
    assert unmarked(leaves(body)) == leaves(seed_body(case))


def test_request2_validates_with_located_warnings() -> None:
    desired = load([SEED / "request2"])
    assert located(desired.warnings) == REQUEST2_WARNINGS
    assert all(str(w).startswith(f"{SEED / 'request2' / 'batch.yaml'}:") for w in desired.warnings)
    assert ": warning: spec.snapshot.blackLevel: " in str(desired.warnings[0])
    assert not load([SEED / "request1"]).warnings


def test_comparison_notices_a_dropped_zero() -> None:
    """The comparison itself can fail: a body without BlackLevel 0 is not Request 2."""
    body = seed_body("request2").replace(b"<BlackLevel>0</BlackLevel>\n", b"")
    assert leaves(body) != leaves(seed_body("request2"))


class Recorder:
    """WSGI middleware in front of the emulator that keeps every POST /jobs body it passes on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/jobs":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size)
            self.bodies.append(body)
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


def test_apply_sends_request2_as_written(tmp_path: Path) -> None:
    """Through plan and apply, over HTTP to the emulator: the body that arrives is Request 2."""
    app = create_app(EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}))
    recorder = Recorder(app)
    settings = Settings(
        state_path=tmp_path / "state.json", env=ENV, transport=wsgi_transport(recorder)
    )
    try:
        _, result = apply_manifests(
            [SEED / "request2"], settings, PlanOptions(), approve=lambda _plan: True
        )
    finally:
        app.close()
    assert result is not None and not result.failures
    (body,) = recorder.bodies
    assert unmarked(leaves(body)) == leaves(seed_body("request2"))


def test_inline_settings_beside_a_template_id_are_sent(tmp_path: Path) -> None:
    """The service takes TemplateId over Snapshot; both go out as written, with a warning."""
    text = (SEED / "request1" / "batch.yaml").read_text()
    batch = tmp_path / "batch.yaml"
    batch.write_text(text.replace("  inputs:", "  snapshot: {count: 0}\n  inputs:", 1))
    with pytest.raises(ManifestError):  # the inline settings are still checked
        load([SEED / "request1" / "target.yaml", batch])
    batch.write_text(text.replace("  inputs:", "  snapshot: {count: 3, start: 0}\n  inputs:", 1))
    desired = load([SEED / "request1" / "target.yaml", batch])
    assert [w.field for w in desired.warnings] == ["spec.snapshot"]
    (body,) = rendered_bodies(desired)
    extra = unmarked(leaves(body)) - leaves(seed_body("request1"))
    assert extra == Counter(
        {
            ("/Request/Operation/Snapshot/Count", "3"): 1,
            ("/Request/Operation/Snapshot/Start", "0"): 1,
        }
    )
    assert not leaves(seed_body("request1")) - unmarked(leaves(body))


@pytest.mark.parametrize(
    ("callback", "sent"),
    [
        ("{url: 'no'}", {"CallBack": "no"}),  # the documented "no callback, not even the queue's"
        ("{format: XML}", {"CallBackFormat": "XML"}),  # the queue's URL, in XML
        ("{type: Url}", {"CallBackType": "Url"}),
        ("{}", {}),
    ],
)
def test_callbacks_the_service_accepts(tmp_path: Path, callback: str, sent: dict[str, str]) -> None:
    text = (SEED / "request1" / "batch.yaml").read_text()
    head, _, _ = text.partition("  callback:")
    batch = tmp_path / "batch.yaml"
    batch.write_text(f"{head}  callback: {callback}\n")
    desired = load([SEED / "request1" / "target.yaml", batch])
    assert not desired.warnings
    (body,) = rendered_bodies(desired)
    got = {path.rsplit("/", 1)[1]: text for path, text in leaves(body) if path.count("/") == 2}
    assert {k: v for k, v in got.items() if k.startswith("CallBack")} == sent
