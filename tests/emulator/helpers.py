"""Request bodies and small parsers shared by the in-process tests (tests' own XML code)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from tests.helpers.emulator_http import BUCKET, REGION


def template_body(name: str = "tpl", count: str = "3", extra: str = "") -> str:
    return (
        f"<Request><Tag>Snapshot</Tag><Name>{name}</Name><Snapshot><Mode>Interval</Mode>"
        f"<Count>{count}</Count><TimeInterval></TimeInterval>{extra}</Snapshot></Request>"
    )


def job_body(
    obj: str = "in/a.mp4",
    *,
    template_id: str | None = None,
    count: str = "2",
    output: str | None = None,
    operation_extra: str = "",
    extra: str = "",
    snapshot_extra: str = "",
) -> str:
    op = (
        f"<TemplateId>{template_id}</TemplateId>"
        if template_id
        else (f"<Snapshot><Count>{count}</Count>{snapshot_extra}</Snapshot>")
    )
    out = (
        output
        if output is not None
        else (
            f"<Output><Region>{REGION}</Region><Bucket>{BUCKET}</Bucket>"
            "<Object>shots/frame-${Number}.jpg</Object></Output>"
        )
    )
    return (
        f"<Request><Tag>Snapshot</Tag><Input><Object>{obj}</Object></Input>"
        f"<Operation>{op}{out}{operation_extra}</Operation>{extra}</Request>"
    )


def parse(resp: httpx.Response) -> ET.Element:
    assert resp.headers["content-type"] == "application/xml", resp.text
    return ET.fromstring(resp.content)


def error(resp: httpx.Response) -> tuple[int, str, str]:
    root = parse(resp)
    assert root.tag == "Error"
    assert root.findtext("RequestId")
    return resp.status_code, root.findtext("Code") or "", root.findtext("Message") or ""


def jobs(resp: httpx.Response) -> list[ET.Element]:
    return parse(resp).findall("JobsDetail")
