"""Which components this build has: name -> where its class lives (imported only when it runs).

A component's module is imported lazily, so a process running only ``api-server`` never loads the recorder or
browser code. To add a component to the build, add its line to ``_FACTORIES``.
"""

from __future__ import annotations

import importlib
from typing import cast

from rtc_egress.runtime.component import COMPONENT_NAMES, ComponentFactory

_FACTORIES: dict[str, str] = {
    "api-server": "rtc_egress.api.component:ApiServerComponent",
    "egress": "rtc_egress.egress.runtime_component:EgressComponent",
}


class ComponentUnavailable(Exception):
    """A component name that is valid but not part of this build."""


def available_components() -> tuple[str, ...]:
    """The components this build has, in start order."""
    return tuple(name for name in COMPONENT_NAMES if name in _FACTORIES)


def unavailable(names: list[str]) -> list[str]:
    """One message per name in ``names`` that this build cannot run."""
    have = ", ".join(available_components())
    return [f"{name!r} is not available in this build (available: {have})" for name in names if name not in _FACTORIES]


def load_factory(name: str) -> ComponentFactory:
    """The class (or factory) of component ``name``; it is called with the RuntimeContext."""
    try:
        target = _FACTORIES[name]
    except KeyError:
        raise ComponentUnavailable(f"components: {unavailable([name])[0]}") from None
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return cast(ComponentFactory, getattr(module, attr))
