"""Template create/update/list/delete in process: shapes, validation and errors."""

from __future__ import annotations

import pytest

from tests.helpers.emulator_http import Local

from .helpers import error, parse, template_body


def _create(local: Local, name: str = "tpl", **kw: str) -> str:
    resp = local.xml("POST", "/template", template_body(name, **kw))
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-ci-request-id"]
    return parse(resp).findtext("Template/TemplateId") or ""


def test_create_shape_and_times(local: Local) -> None:
    resp = local.xml("POST", "/template", template_body("a"))
    tpl = parse(resp).find("Template")
    assert tpl is not None
    assert [c.tag for c in tpl] == [
        "TemplateId",
        "Name",
        "Tag",
        "BucketId",
        "Category",
        "Snapshot",
        "CreateTime",
        "UpdateTime",
    ]
    assert tpl.findtext("CreateTime") == "2026-01-01T08:00:00+0800"
    assert tpl.findtext("Snapshot/TimeInterval") is None
    assert resp.content.startswith(b"<?xml")


def test_update_in_place_and_duplicate_names(local: Local) -> None:
    a, b = _create(local, "a"), _create(local, "b")
    local.clock.advance(5)
    resp = local.xml("PUT", f"/template/{a}", template_body("a2", count="9"))
    tpl = parse(resp).find("Template")
    assert tpl is not None and tpl.findtext("TemplateId") == a
    assert tpl.findtext("Snapshot/Count") == "9" and tpl.findtext("Name") == "a2"
    assert tpl.findtext("UpdateTime") == "2026-01-01T08:00:05+0800"
    assert error(local.xml("PUT", f"/template/{b}", template_body("a2")))[:2] == (
        400,
        "TemplateNameDuplicate",
    )
    assert error(local.xml("POST", "/template", template_body("b")))[1] == "TemplateNameDuplicate"
    assert error(local.xml("PUT", "/template/t1nope", template_body("z")))[:2] == (
        400,
        "TemplateNotFound",
    )


def test_list_paging_prefix_and_ids(local: Local) -> None:
    ids = [_create(local, f"thumb-{i}") for i in range(5)] + [_create(local, "other")]
    page = parse(
        local.http.get("/template", params={"name": "thumb", "pageSize": "2", "pageNumber": "2"})
    )
    assert page.findtext("TotalCount") == "5" and page.findtext("PageNumber") == "2"
    assert [t.findtext("TemplateId") for t in page.findall("TemplateList")] == ids[2:4]
    by_ids = parse(local.http.get("/template", params={"ids": f"{ids[5]},{ids[0]}"}))
    assert {t.findtext("Name") for t in by_ids.findall("TemplateList")} == {"other", "thumb-0"}
    official = parse(local.http.get("/template", params={"category": "Official"}))
    assert official.findtext("TotalCount") == "0"
    assert error(local.http.get("/template", params={"pageSize": "101"}))[1] == "InvalidArgument"


def test_delete(local: Local) -> None:
    tid = _create(local)
    resp = parse(local.http.delete(f"/template/{tid}"))
    assert resp.findtext("TemplateId") == tid and resp.findtext("RequestId")
    assert error(local.http.delete(f"/template/{tid}"))[1] == "TemplateNotFound"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (template_body("bad name"), "Name"),
        (template_body("x" * 65), "Name"),
        (template_body(count="0"), "Count"),
        (template_body(count="10001"), "Count"),
        (template_body(extra="<Width>127</Width>"), "Width"),
        (template_body(extra="<Mode>Fast</Mode>"), "Mode"),
        (template_body(extra="<TimeInterval>3600.5</TimeInterval>"), "TimeInterval"),
        (template_body(extra="<IsCheckBlack>yes</IsCheckBlack>"), "IsCheckBlack"),
        (template_body(extra="<Format>jpg</Format>"), "Format"),
        (
            template_body(extra="<SnapshotOutMode>OnlySprite</SnapshotOutMode>"),
            "SpriteSnapshotConfig",
        ),
        (
            template_body(
                extra="<SpriteSnapshotConfig><Color>Black</Color><Columns>0</Columns>"
                "<Lines>1</Lines></SpriteSnapshotConfig>"
            ),
            "Columns",
        ),
        (
            template_body(
                extra="<SpriteSnapshotConfig><Columns>2</Columns><Lines>1</Lines>"
                "</SpriteSnapshotConfig>"
            ),
            "Color",
        ),
        ("<Request><Tag>Snapshot</Tag><Name>n</Name></Request>", "Snapshot"),
    ],
)
def test_validation(local: Local, body: str, needle: str) -> None:
    status, code, message = error(local.xml("POST", "/template", body))
    assert (status, code) == (400, "InvalidArgument")
    assert needle in message


def test_bodies_without_declaration_or_content_type_and_hostile_xml(local: Local) -> None:
    plain = local.xml("POST", "/template", template_body("n1"))
    declared = local.xml(
        "POST",
        "/template",
        '<?xml version="1.0" encoding="utf-8"?>\n' + template_body("n2"),
        headers={"Content-Type": "application/xml"},
    )
    assert plain.status_code == declared.status_code == 200
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Request><Name>&a;</Name></Request>'
    )
    assert error(local.xml("POST", "/template", bomb))[1] == "InvalidContent"
    assert error(local.xml("POST", "/template", "<Request><Tag>"))[1] == "InvalidContent"
    assert error(local.xml("POST", "/template", ""))[1] == "MissingContent"
    assert error(local.xml("POST", "/template", "<Other/>"))[1] == "InvalidContent"
