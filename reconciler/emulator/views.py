"""Rows -> ordered XML trees in the shapes of ci-api.md §2.5, §2.6, §3.2, §3.3 and §4.1.

The only place that knows element names and order of responses; handlers call these and
``xmlio.render``. Times are rendered as the service does: ``YYYY-MM-DDTHH:MM:SS+0800``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

from . import lifecycle
from .snapshot import Settings
from .store import Row
from .xmlio import Tree

_CST = timezone(timedelta(hours=8))
#: StartTime/EndTime before they are known; the sources show both "" and "-" (ci-api.md §1.3).
UNKNOWN_TIME = "-"


def ci_time(t: float) -> str:
    return datetime.fromtimestamp(t, _CST).strftime("%Y-%m-%dT%H:%M:%S%z")


def cos_time(t: float) -> str:
    """ListBucketResult LastModified: ISO 8601 UTC with milliseconds, as COS sends it."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def settings_tree(settings: Settings) -> Tree:
    out: Tree = []
    for name, value in settings.items():
        if isinstance(value, dict):
            out.append((name, [(k, v) for k, v in value.items()]))
        else:
            out.append((name, value))
    return out


def template_fields(t: Row) -> Tree:
    return [
        ("TemplateId", t["id"]),
        ("Name", t["name"]),
        ("Tag", t["tag"]),
        ("BucketId", t["bucket"]),
        ("Category", "Custom"),
        ("Snapshot", settings_tree(t["snapshot"])),
        ("CreateTime", ci_time(t["created"])),
        ("UpdateTime", ci_time(t["updated"])),
    ]


def job_detail(job: Row, now: float) -> Tree:
    """One ``<JobsDetail>`` body; MediaResult only once the job succeeded (§3.2)."""
    state = lifecycle.state_of(job, now)
    result = job["result"] or {}
    started = state != "Submitted" and state != "Cancel"
    return [
        ("Code", result.get("code", "Success")),
        ("Message", result.get("message", "")),
        ("JobId", job["id"]),
        ("Tag", "Snapshot"),
        ("State", state),
        ("CreationTime", ci_time(job["created"])),
        ("StartTime", ci_time(job["run_at"]) if started else UNKNOWN_TIME),
        ("EndTime", ci_time(result["end"]) if "end" in result else UNKNOWN_TIME),
        ("QueueId", job["queue_id"]),
        (
            "Input",
            [
                ("BucketId", job["bucket"]),
                ("Object", job["input_object"]),
                ("Region", job["region"]),
            ],
        ),
        ("Operation", _operation(job["spec"], result.get("media"))),
    ]


def _operation(spec: Row, media: Row | None) -> Tree:
    out: Tree = []
    if not spec["inline"]:
        out += [("TemplateId", spec["template_id"]), ("TemplateName", spec["template_name"])]
    else:
        out.append(("Snapshot", settings_tree(spec["settings"])))
    out.append(("Output", [(k, v) for k, v in spec["output"].items()]))
    if spec["user_data"] is not None:
        out.append(("UserData", spec["user_data"]))
    out.append(("JobLevel", spec["job_level"] or "0"))
    if media is not None:
        out.append(("MediaResult", [("OutputFile", _output_file(media))]))
    return out


def _output_file(media: Row) -> Tree:
    frames = media.get("frames") or {"prefix": "", "names": []}
    out: Tree = [
        ("Bucket", media["bucket"]),
        ("Region", media["region"]),
        ("ObjectPrefix", frames["prefix"]),
    ]
    out += [("ObjectName", name) for name in frames["names"]]
    out.append(("Md5Info", ""))
    sprites = media.get("sprites")
    if sprites is not None:
        sprite: Tree = [
            ("Bucket", media["bucket"]),
            ("Region", media["region"]),
            ("ObjectPrefix", sprites["prefix"]),
        ]
        sprite += [("ObjectName", name) for name in sprites["names"]]
        sprite.append(("Md5Info", ""))
        out.append(("SpriteOutputFile", sprite))
    return out


def queue_item(bucket: Row) -> Tree:
    created = ci_time(bucket["created"])
    notify: Tree = [
        ("Url", ""),
        ("Event", "TaskFinish"),
        ("Type", "Url"),
        ("State", "Off"),
        ("ResultFormat", "XML"),
        ("MqMode", ""),
        ("MqName", ""),
        ("MqRegion", ""),
    ]
    return [
        ("QueueId", bucket["queue_id"]),
        ("Name", "queue-1"),
        ("State", "Active"),
        ("NotifyConfig", notify),
        ("MaxSize", "10000"),
        ("MaxConcurrent", "10"),
        ("UpdateTime", created),
        ("CreateTime", created),
        ("Category", "Transcoding"),
    ]


def object_contents(obj: Row, encode: bool) -> Tree:
    key = quote(obj["key"], safe="/") if encode else obj["key"]
    return [
        ("Key", key),
        ("LastModified", cos_time(obj["modified"])),
        ("ETag", obj["etag"]),
        ("Size", str(obj["size"])),
        ("StorageClass", "STANDARD"),
    ]
