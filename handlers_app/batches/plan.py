"""What work on many handlers would do, shown before anything is sent: for each item, add it,
skip it because the destination already sends to the same place (a handler of the same type
with the same destination, `Handler.place`), or refuse it with a reason.

One rule for "the same place" serves every flow that creates handlers elsewhere: a copy to
another connection, adding a saved set-up to connections, and whatever comes next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["PlacePlanner", "PlanItem", "Verdict"]

type Place = tuple[str, str]


class Verdict(StrEnum):
    ADD = "add"
    SKIP = "skip"
    REFUSED = "refused"


@dataclass(frozen=True)
class PlanItem[Subject]:
    """One item of a plan. `same_as`: the name of the handler already sending to the same
    place (in the destination, or with `same_in_selection` earlier in the same plan); `reason`:
    why it is refused, in a person's words."""

    subject: Subject
    verdict: Verdict
    same_as: str = ""
    same_in_selection: bool = False
    reason: str = ""

    @property
    def skipped(self) -> bool:
        return self.verdict == Verdict.SKIP

    @property
    def will_add(self) -> bool:
        return self.verdict == Verdict.ADD


class PlacePlanner[Subject]:
    """Decides, item after item, what adding to one destination would do; `taken` maps the
    places the destination already sends to onto the names of the handlers doing so."""

    def __init__(self, taken: Mapping[Place, str]) -> None:
        self._taken = taken
        self._planned: dict[Place, str] = {}

    def decide(self, subject: Subject, *, place: Place, name: str) -> PlanItem[Subject]:
        if place in self._taken:
            return PlanItem(subject, Verdict.SKIP, same_as=self._taken[place])
        if place in self._planned:
            return PlanItem(
                subject, Verdict.SKIP, same_as=self._planned[place], same_in_selection=True
            )
        self._planned[place] = name
        return PlanItem(subject, Verdict.ADD)

    @staticmethod
    def refuse[S](subject: S, reason: str) -> PlanItem[S]:
        return PlanItem(subject, Verdict.REFUSED, reason=reason)
