"""Where the state is: ``--state`` text, the location types, and saved plans old and new."""

from __future__ import annotations

import json

import pytest

from reconciler.errors import ConfigError
from reconciler.model import CosState, LocalState, location_from_data
from reconciler.plan.document import header_document, plan_from_header
from reconciler.plan.planner import Plan, PlanOptions, StateRef
from reconciler.state.registry import parse_location

COS = CosState("tfstate-1250000000", "ap-chongqing", "teams/a.json")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("state.json", LocalState("state.json")),
        (".reconciler/s:1.json", LocalState(".reconciler/s:1.json")),  # a colon is not a scheme
        ("file:///srv/state.json", LocalState("/srv/state.json")),
        ("FILE://localhost/srv/a%20b.json", LocalState("/srv/a b.json")),
        ("cos://tfstate-1250000000/teams/a.json?region=ap-chongqing", COS),
        (
            "cos://tfstate-1250000000/teams/a.json?region=ap-chongqing&endpoint=embedded",
            CosState(COS.bucket, COS.region, COS.key, "embedded"),
        ),
    ],
)
def test_state_text_names_one_location(text: str, expected: object) -> None:
    assert parse_location(text) == expected


@pytest.mark.parametrize("text", ["s3://x/y", "gs://b/k", "http://h/state.json", "Azure://c/k"])
def test_an_unknown_scheme_is_one_line_naming_the_supported_ones(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_location(text)
    message = str(err.value)
    scheme = text.split("://")[0].lower()
    assert f"unknown scheme {scheme}://" in message and "\n" not in message
    assert "file path" in message and "cos://BUCKET/KEY?region=REGION" in message


@pytest.mark.parametrize(
    "text", ["cos://bucket/key", "cos:///key?region=r", "cos://b/k?region=r&x=1", "file://h/x"]
)
def test_a_malformed_url_says_how_it_should_look(text: str) -> None:
    with pytest.raises(ConfigError, match="must look like"):
        parse_location(text)


def test_the_url_of_a_location_parses_back_to_it() -> None:
    for where in (COS, CosState(COS.bucket, COS.region, COS.key, "http://127.0.0.1:9000")):
        assert parse_location(where.url) == where
    assert parse_location(LocalState("a/b.json").url) == LocalState("a/b.json")


def _saved(state_backend: object) -> dict[str, object]:
    plan = Plan(PlanOptions(), StateRef("lineage", 3, "digest"), (), (), ())
    doc = json.loads(json.dumps(header_document(plan)))
    doc["state_backend"] = state_backend
    return doc


@pytest.mark.parametrize(
    "recorded, expected",
    [
        # Written before the tagged union: a local file as bucket "" with its path in "key".
        ({"bucket": "", "region": "", "key": "s.json", "backend": "local"}, LocalState("s.json")),
        (
            {"bucket": COS.bucket, "region": COS.region, "key": COS.key, "backend": "cos"},
            COS,
        ),
        ({"path": "s.json", "backend": "local"}, LocalState("s.json")),
        (None, None),
    ],
)
def test_saved_plans_old_and_new_name_their_state(recorded: object, expected: object) -> None:
    assert plan_from_header(_saved(recorded), (), "plan.json").state_backend == expected


def test_a_saved_plan_round_trips_its_state_location() -> None:
    for where in (LocalState("x/s.json"), COS, CosState("b-1", "r", "k", "embedded")):
        plan = Plan(PlanOptions(), StateRef("l", 1, "d"), (), (), (), state_backend=where)
        doc = json.loads(json.dumps(header_document(plan)))
        assert doc["state_backend"]["backend"] == where.backend
        assert plan_from_header(doc, (), "plan.json").state_backend == where


@pytest.mark.parametrize(
    "recorded", [{"backend": "s3", "key": "k"}, {"backend": "local"}, {"backend": "cos"}]
)
def test_a_damaged_state_record_in_a_plan_is_refused(recorded: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        location_from_data(recorded)
    with pytest.raises(Exception, match="damaged plan"):
        plan_from_header(_saved(recorded), (), "plan.json")
