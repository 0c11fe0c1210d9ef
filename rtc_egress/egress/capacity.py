"""How much of an instance a task uses, so a full instance leaves work queued for others.

Costs are in "capacity units" (by default one unit is one 720p30 composite recording, about a core).
"""

from __future__ import annotations

from typing import Any

_REFERENCE_PIXEL_RATE = 1280 * 720 * 30


def task_cost(cmd: str, payload: dict[str, Any], costs: dict[str, float]) -> float:
    """The configured base cost of ``cmd`` scaled by the output pixel rate (and by users in individual mode)."""
    base = costs.get(cmd, 1.0)
    if cmd != "record":
        return base
    video = payload.get("video") or {}
    rate = int(video.get("width", 1280)) * int(video.get("height", 720)) * int(video.get("frameRate", 30))
    scale = max(rate / _REFERENCE_PIXEL_RATE, 0.25)
    if payload.get("mode") == "individual":
        scale *= max(len(payload.get("users") or []), 1)
    return base * scale


class Capacity:
    """Slots and units in use; ``affordable`` says which cmds may be claimed right now."""

    def __init__(self, units: float, max_tasks: int, costs: dict[str, float]) -> None:
        self.units = units
        self.max_tasks = max_tasks
        self.costs = costs
        self.used = 0.0
        self.running = 0

    def affordable(self, cmds: list[str]) -> list[str]:
        if self.running >= self.max_tasks:
            return []
        free = self.units - self.used
        # The base cost is the lower bound of a cmd's cost: a bigger task may overcommit by at most one task.
        return [c for c in cmds if self.costs.get(c, 1.0) <= free + 1e-9]

    def take(self, cost: float) -> None:
        self.used += cost
        self.running += 1

    def give_back(self, cost: float) -> None:
        self.used = max(self.used - cost, 0.0)
        self.running = max(self.running - 1, 0)
