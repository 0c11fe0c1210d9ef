"""Worker-side checks of a claimed task before any process starts: the same validation as the API, plus this
instance's policy (which sources may run, whether url inputs may read local files)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from rtc_egress.egress.settings import EgressSettings
from rtc_egress.tasks.validation import Payload, field_errors


def admission_problem(payload: dict[str, Any], settings: EgressSettings) -> str | None:
    """Why this instance must not run the task (the reason it fails with), or None."""
    try:
        Payload.model_validate(payload)
    except ValidationError as exc:
        return "invalid payload: " + "; ".join(str(e) for e in field_errors(exc, Payload, "payload"))
    source = payload.get("source") or {}
    kind = str(source.get("type", "agora"))
    if kind not in settings.allowed_sources:
        return f"payload.source.type: {kind!r} is not allowed on this instance (egress.allowed_sources)"
    if kind == "url" and not settings.allow_local_inputs:
        for i, item in enumerate(source.get("inputs") or []):
            url = str(item.get("url", ""))
            if url.startswith("/") or urlsplit(url).scheme in ("", "file"):
                return (
                    f"payload.source.inputs[{i}].url: local files are not allowed on this instance "
                    "(egress.allow_local_inputs)"
                )
    return None
