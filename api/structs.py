"""Helpers shared by the msgspec bodies: rows copied into responses, partial updates.

Response structs mostly mirror storage rows field for field; copying by name keeps the
two in step without a hand-written constructor per row type.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

S = TypeVar("S", bound=msgspec.Struct)


def struct_from(cls: type[S], row: object, **values: Any) -> S:
    """``cls`` with each field read from ``row``'s attribute of the same name, except those
    given in ``values``; a field the row lacks keeps its default (a required one fails)."""
    fields = {
        name: getattr(row, name)
        for name in cls.__struct_fields__
        if name not in values and hasattr(row, name)
    }
    return cls(**fields, **values)


class PatchBody(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """A partial update: a field left out is ``UNSET`` and stays as it is."""

    def changes(self) -> dict[str, Any]:
        """The fields the client sent (``None`` included: it clears)."""
        return {
            name: getattr(self, name)
            for name in self.__struct_fields__
            if getattr(self, name) is not msgspec.UNSET
        }
