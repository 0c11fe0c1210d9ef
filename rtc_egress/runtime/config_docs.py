"""Writes the configuration reference from the model, so the docs cannot drift from the code.

``python -m rtc_egress.runtime.config_docs`` rewrites the generated part of ``docs/configuration.md`` and the
whole ``config/rtc_egress.example.yaml``; a unit test fails when either is stale.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from rtc_egress.runtime.config import Config
from rtc_egress.runtime.config_sources import CLI_FLAGS, UPSTREAM_ENV, env_name

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
EXAMPLE = ROOT / "config" / "rtc_egress.example.yaml"
BEGIN = "<!-- BEGIN GENERATED KEYS (python -m rtc_egress.runtime.config_docs) -->"
END = "<!-- END GENERATED KEYS -->"

Key = tuple[str, ...]

#: Keys whose default depends on the build or the machine: documented in words, left commented in the example.
DYNAMIC_DEFAULTS: dict[Key, str] = {
    ("components",): "every component of this build",
    ("egress", "capacity"): "the number of CPU cores",
}


def _type_name(ann: Any) -> str:
    origin = get_origin(ann)
    args = [a for a in get_args(ann) if a is not type(None)]
    if origin in (Union, types.UnionType):
        return _type_name(args[0]) if len(args) == 1 else " or ".join(_type_name(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in get_args(ann))
    if origin is list:
        return f"list of {_type_name(args[0])}s"
    if origin is dict:
        return f"map of {_type_name(args[0])} to {_type_name(args[1])}"
    return {int: "integer", float: "number", str: "string", bool: "boolean", Path: "path", SecretStr: "secret"}.get(
        ann, getattr(ann, "__name__", str(ann))
    )


def rule_of(info: FieldInfo) -> str:
    parts = [_type_name(info.annotation)]
    for m in info.metadata:
        if isinstance(m, Ge):
            parts.append(f"≥ {m.ge}")
        elif isinstance(m, Gt):
            parts.append(f"> {m.gt}")
        elif isinstance(m, Le):
            parts.append(f"≤ {m.le}")
        elif isinstance(m, Lt):
            parts.append(f"< {m.lt}")
        elif getattr(m, "pattern", None):
            parts.append(f"matching `{m.pattern}`")
    if type(None) in get_args(info.annotation):
        parts.append("optional")
    return ", ".join(parts)


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return info.default


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _entries(model: type[BaseModel] = Config, prefix: Key = ()) -> list[tuple[Key, FieldInfo]]:
    out: list[tuple[Key, FieldInfo]] = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(_entries(ann, (*prefix, name)))
        else:
            out.append(((*prefix, name), info))
    return out


def _other_names(key: Key) -> list[str]:
    names = [f"`{n}`" for n, k in UPSTREAM_ENV.items() if k == key and n != env_name(key)]
    names += [f"`{flag}`" for flag, k in CLI_FLAGS.items() if k == key]
    return names


def render_reference() -> str:
    """The generated tables: one per section, every key with its names, default and rule."""
    lines: list[str] = []
    section: str | None = None
    for key, info in _entries():
        this_section = key[0] if len(key) > 1 else ""
        if this_section != section:
            section = this_section
            title = f"`{section}`" if section else "top level"
            doc = Config.model_fields[section].annotation.__doc__ if section else None
            lines += ["", f"### {title}", ""]
            if doc:
                lines += [" ".join(doc.split()), ""]
            lines += ["| key | environment / flag | default | rule | meaning |", "| --- | --- | --- | --- | --- |"]
        default = f"({DYNAMIC_DEFAULTS[key]})" if key in DYNAMIC_DEFAULTS else json.dumps(_plain(_default(info)))
        names = ", ".join([f"`{env_name(key)}`", *_other_names(key)])
        desc = (info.description or "").replace("|", "\\|")
        lines.append(f"| `{'.'.join(key)}` | {names} | `{default}` | {rule_of(info)} | {desc} |")
    return "\n".join(lines).strip("\n")


def render_example() -> str:
    """A YAML file with every key at its default value, each explained; loading it changes nothing."""
    out = [
        "# rtc-egress configuration: every key, at its default value.",
        "# Copy to config/rtc_egress.yaml (or pass --config / RTC_EGRESS_CONFIG) and keep only what you change.",
        "# Precedence: defaults < this file < environment < command-line flags. Unknown keys are errors.",
        "# Reference: docs/configuration.md (generated by python -m rtc_egress.runtime.config_docs).",
    ]
    section: str | None = None
    for key, info in _entries():
        this_section = key[0] if len(key) > 1 else ""
        indent = "  " if this_section else ""
        if this_section != section:
            section = this_section
            if section:
                out += ["", f"{section}:"]
        out.append("")
        env = [env_name(key), *(n for n, k in UPSTREAM_ENV.items() if k == key and n != env_name(key))]
        out.append(f"{indent}# {info.description or key[-1]}")
        out.append(f"{indent}# {rule_of(info).replace('`', '')}; env {' or '.join(env)}")
        value = json.dumps(_plain(_default(info)), ensure_ascii=False)
        if key in DYNAMIC_DEFAULTS:
            out.append(f"{indent}# {key[-1]}:  # default: {DYNAMIC_DEFAULTS[key]}")
        else:
            out.append(f"{indent}{key[-1]}: {value}")
    return "\n".join(out) + "\n"


def updated_doc(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{render_reference()}\n{END}{tail}"


def main() -> None:
    DOC.write_text(updated_doc(DOC.read_text()))
    EXAMPLE.write_text(render_example())
    print(f"wrote {DOC.relative_to(ROOT)} and {EXAMPLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
