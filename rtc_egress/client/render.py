"""Human-readable output of the task client: aligned tables and key/value blocks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def fields(pairs: Sequence[tuple[str, Any]]) -> str:
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{k.ljust(width)}  {_cell(v)}".rstrip() for k, v in pairs)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return str(value)


def task_block(task: dict[str, Any]) -> str:
    out = fields(
        [
            ("task_id", task["task_id"]),
            ("state", task["state"]),
            ("cmd", f"{task['cmd']} ({task['kind']})"),
            ("channel", task["channel"]),
            ("region", task["region"]),
            ("created_at", task["created_at"]),
            ("started_at", task["started_at"]),
            ("finished_at", task["finished_at"]),
            ("reason", task["reason"]),
            ("message", task["message"]),
            ("owner", task["owner"]),
            ("attempts", f"{task['attempts']}/{task['max_attempts']} (part {task['part']})"),
        ]
    )
    files = task.get("files") or []
    if files:
        rows = [
            [f["name"], f["kind"], f["part"], f["bytes"], _duration(f.get("duration_s")), f["upload_state"]]
            for f in files
        ]
        out += "\n\n" + table(["file", "kind", "part", "bytes", "duration", "upload"], rows)
    return out


def task_rows(tasks: Sequence[dict[str, Any]]) -> str:
    rows = [[t["task_id"], t["state"], t["cmd"], t["kind"], t["channel"], t["created_at"], t["reason"]] for t in tasks]
    return table(["task_id", "state", "cmd", "kind", "channel", "created_at", "reason"], rows)


def _duration(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}s"
