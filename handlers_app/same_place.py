"""One rule for "the same place": a connection that already has a handler of a type sending to
a destination (`Handler.place`: the type and `HandlerType.destination_key`) would send every
notification there twice with a second one. Copying and saved set-ups skip such a handler
(handlers_app.sharing, handlers_app.presets); creating, duplicating and importing ask here:

- the create and duplicate forms warn and let the person add it anyway (`same_place_as`);
- an import leaves such rows out, saying which handler already sends there, unless the person
  asked to add them anyway (`rows_left_out_for_same_place`); a later row of the file sending
  where an earlier one does is left out the same way, as copying a selection does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from handlers_app.imports.problems import Problem
from handlers_app.imports.reading import ParsedRow
from handlers_app.models import Connection
from handlers_app.selectors import handler_places
from handlers_app.soclook.types import HANDLER_TYPES

__all__ = ["Place", "place_of", "rows_left_out_for_same_place", "same_place_as"]

type Place = tuple[str, str]


def place_of(*, type: str, settings: Mapping[str, str]) -> Place | None:
    """Where a handler of `type` with `settings` sends, as `Handler.place` says it; None for a
    type the dashboard cannot create, or settings that say no destination."""
    handler_type = HANDLER_TYPES.get(type)
    if handler_type is None:
        return None
    key = handler_type.destination_key(settings)
    return (type, key) if key else None


def same_place_as(*, connection: Connection, type: str, settings: Mapping[str, str]) -> str | None:
    """The name of the connection's handler of `type` already sending where `settings` send,
    or None. Reads the list (cached); raises SoclookError when it cannot be read."""
    place = place_of(type=type, settings=settings)
    if place is None:
        return None
    return handler_places(connection=connection).get(place)


def rows_left_out_for_same_place(
    rows: Sequence[ParsedRow], *, taken: Mapping[Place, str]
) -> list[ParsedRow]:
    """The rows, each valid one sending where a handler of `taken` (`handler_places`) or an
    earlier row does left out with the reason."""
    planned: dict[Place, int] = {}
    result: list[ParsedRow] = []
    for row in rows:
        place = place_of(type=row.type, settings=row.settings) if row.is_valid else None
        if place is not None and place in taken:
            row = replace(row, settings={}, problems=(Problem("same_place", name=taken[place]),))
        elif place is not None and place in planned:
            problem = Problem("same_place_in_file", number=planned[place])
            row = replace(row, settings={}, problems=(problem,))
        elif place is not None:
            planned[place] = row.number
        result.append(row)
    return result
