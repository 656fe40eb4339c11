"""The one exception for a wrong value a client sent (pure: no Django, no DRF).

``FieldError`` is the one exception for "this field is wrong": it carries the field's name and the
message apart, so an API answer, a page and an import report can each show them their own way without
splitting a string. ``dashboard.core.api`` turns it into the API's error shape.
"""

from __future__ import annotations


class FieldError(ValueError):
    """A value a client sent is wrong: ``field`` names where, ``message`` says what."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"error": str(self), "field": self.field}
