"""Tables as an .xlsx workbook (the export, docs/workflow.md "Export"): one sheet per table,
styled header, frozen first row, autofilter, dates as dates, widths that count a CJK character
as two. User text never becomes a formula or a link (XlsxWriter would make `=…` a formula and
`http…` a link by default)."""
from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import xlsxwriter

MAX_WIDTH = 60  # characters; longer text wraps
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


class Sheet(NamedTuple):
    """One table: its name, its column titles and its rows (as a message's artifact carries it)."""

    name: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]  # str, int, float, date, datetime or None per cell


def width(text: str) -> int:
    """Display width: wide and full-width characters (CJK) count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def workbook(sheets: Sequence[Sequence[Any]]) -> bytes:
    """The sheets, each (name, columns, rows), as .xlsx bytes (pure: run in the render worker)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False, "remove_timezone": True})
    header = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "valign": "top"})
    text = book.add_format({"valign": "top", "text_wrap": True})
    day = book.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"})
    for sheet in map(Sheet._make, sheets):
        ws = book.add_worksheet(SHEET_NAME.sub("_", sheet.name)[:31])
        widths = [width(c) for c in sheet.columns]
        ws.write_row(0, 0, sheet.columns, header)
        for r, values in enumerate(sheet.rows, start=1):
            for c, value in enumerate(values):
                if isinstance(value, datetime):
                    ws.write_datetime(r, c, value, moment)
                    shown = 16
                elif isinstance(value, date):
                    ws.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
                    shown = 10
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    ws.write_number(r, c, value)
                    shown = len(str(value))
                elif value is None:
                    ws.write_blank(r, c, None)
                    shown = 0
                else:
                    ws.write_string(r, c, str(value), text)
                    shown = max((width(line) for line in str(value).splitlines()), default=0)
                widths[c] = max(widths[c], shown)
        for c, w in enumerate(widths):
            ws.set_column(c, c, min(w, MAX_WIDTH) + 2)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(sheet.rows), 1), max(len(sheet.columns) - 1, 0))
    book.close()
    return out.getvalue()
