"""A report as PDF (fpdf2: pure Python, no system libraries): the same view the page shows, with the
per-interval chart drawn as bars and a line. Text uses the PDF core fonts (Latin-1), so characters
outside it are replaced by their nearest ASCII."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _
from fpdf import FPDF

from dashboard.core.formats import duration, moment, signed_duration

_ASCII = str.maketrans({"—": "-", "–": "-", "≥": ">=", "≤": "<=", "…": "...", "’": "'", "‘": "'", "“": '"',
                        "”": '"', "€": "EUR", "×": "x"})  # fmt: skip
# Table headers: wrapped over lines of this height (mm); a word wider than its column at 8 pt is set
# smaller, down to 6 pt ("Afgebroken" in a 15.5 mm column).
HEADER_LINE_H = 3.6
HEADER_SIZES = (8, 7.5, 7, 6.5, 6)
BLUE, GREEN, ORANGE, GREY = (37, 99, 235), (22, 163, 74), (234, 88, 12), (120, 120, 120)


def _t(value) -> str:
    text = "" if value is None else str(value)
    return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


def _n(value, unit: str = "") -> str:
    if value is None:
        return "-"
    shown = formats.number_format(value, decimal_pos=1 if isinstance(value, float) else None, use_l10n=True)
    return f"{shown}{' ' + unit if unit == 's' else unit}"


def _figure(value, unit: str = "") -> str:
    """A KPI's value, target or previous value: seconds as a duration (``0:20``, ``12 h 21 m``), as on
    the report page; anything else as ``_n``."""
    return duration(value, empty="-") if unit == "s" else _n(value, unit)


def _change(delta, unit: str = "") -> str:
    """A KPI's difference: seconds as a signed duration (``+15 h 37 m``), as on the report page."""
    return signed_duration(delta, empty="-") if unit == "s" else _n(delta, unit)


class _Doc(FPDF):
    def __init__(self, title: str, subtitle: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.title_text, self.subtitle_text = title, subtitle
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(_t(title))
        self.set_creator("KCC Live")

    def header(self):
        self.set_font("Helvetica", "B", 14)
        self.cell(0, 7, _t(self.title_text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)
        self.set_text_color(*GREY)
        self.cell(0, 5, _t(self.subtitle_text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, _t(f"KCC Live - {self.page_no()}/{{nb}}"), align="R")

    def section(self, text: str):
        self.ln(2)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 6, _t(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)

    def fit_header(self, text: str, width: float) -> tuple[float, list[str]]:
        """A column header laid out to stay inside its column: the font size (8 pt, smaller only when a
        single word is wider than the column) and the words wrapped into lines that each fit."""
        room = width - 2 * self.c_margin
        words: list[str] = []
        for word in _t(text).split():
            if words and len(word) == 1:  # a unit ("s", "%") stays with its word
                words[-1] += " " + word
            else:
                words.append(word)
        words = words or [""]
        for size in HEADER_SIZES:
            self.set_font("Helvetica", "B", size)
            if all(self.get_string_width(word) <= room for word in words):
                break
        lines = [words[0]]
        for word in words[1:]:
            if self.get_string_width(f"{lines[-1]} {word}") <= room:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        return size, lines

    def clip(self, text: str, width: float) -> str:
        """``text`` in the current font, shortened with "..." where it would run into the next column."""
        room = width - 2 * self.c_margin
        if self.get_string_width(text) <= room:
            return text
        while text and self.get_string_width(text + "...") > room:
            text = text[:-1]
        return text + "..."

    def table(self, header: list[str], rows: list[list], widths: list[float]):
        layouts = [self.fit_header(text, w) for text, w in zip(header, widths, strict=True)]
        height = max(len(lines) for _, lines in layouts) * HEADER_LINE_H + 1
        if self.get_y() + height + 5 > self.page_break_trigger:
            self.add_page()
        x, y = self.l_margin, self.get_y()
        self.set_fill_color(235, 238, 245)
        for (size, lines), w in zip(layouts, widths, strict=True):
            self.rect(x, y, w, height, style="DF")
            self.set_font("Helvetica", "B", size)
            for i, line in enumerate(lines):
                self.set_xy(x, y + 0.5 + i * HEADER_LINE_H)
                self.cell(w, HEADER_LINE_H, line)
            x += w
        self.set_xy(self.l_margin, y + height)
        for row in rows:
            bold = row and row[0] == _("Total")
            self.set_font("Helvetica", "B" if bold else "", 8)
            for i, (text, w) in enumerate(zip(row, widths, strict=True)):
                self.cell(w, 5, self.clip(_t(text), w), border=1, align="L" if i == 0 else "R")
            self.ln()


def _chart(doc: _Doc, chart: dict, height: float = 55) -> None:
    """Offered (blue) and answered (green) bars per slot, service level (orange line, right axis 0–100 %)."""
    labels, offered, answered, sl = chart["labels"], chart["offered"], chart["answered"], chart["service_level"]
    if not labels:
        return
    x0, y0 = doc.l_margin + 8, doc.get_y() + 2
    width = doc.w - doc.l_margin - doc.r_margin - 16
    if y0 + height + 12 > doc.h - doc.b_margin:
        doc.add_page()
        y0 = doc.get_y() + 2
    top = max(offered + answered + [1])
    step = width / len(labels)
    doc.set_draw_color(*GREY)
    doc.line(x0, y0 + height, x0 + width, y0 + height)
    doc.set_font("Helvetica", "", 6)
    doc.set_text_color(*GREY)
    doc.text(x0 - 7, y0 + 2, _t(str(top)))
    doc.text(x0 + width + 1, y0 + 2, "100%")
    for i, label in enumerate(labels):
        x = x0 + i * step
        for value, colour, shift in ((offered[i], BLUE, 0.0), (answered[i], GREEN, 0.5)):
            if value:
                h = height * value / top
                doc.set_fill_color(*colour)
                doc.rect(x + shift * step * 0.9, y0 + height - h, step * 0.45, h, style="F")
        every = max(1, len(labels) // 12)
        if i % every == 0:
            doc.text(x, y0 + height + 3, _t(label))
    doc.set_draw_color(*ORANGE)
    doc.set_line_width(0.4)
    points = [(x0 + (i + 0.5) * step, y0 + height * (1 - v / 100)) for i, v in enumerate(sl) if v is not None]
    for a, b in zip(points, points[1:]):
        doc.line(*a, *b)
    doc.set_line_width(0.2)
    doc.set_draw_color(0, 0, 0)
    doc.set_text_color(0, 0, 0)
    doc.set_y(y0 + height + 5)
    doc.set_font("Helvetica", "", 7)
    doc.cell(0, 4, _t(f"{_('Offered')} (blue), {_('Answered')} (green), {_('Service level')} % (orange)"),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip


def report_title(view: dict) -> tuple[str, str]:
    kind = _("Daily report") if view["kind"] == "daily" else _("Weekly report")
    scope = view["filters"]["queue"] or view["filters"]["team"] or view["filters"]["channel"] or _("all queues")
    title = f"{kind} {view['label']} - {scope}"
    built = datetime.fromisoformat(view["built_at"])
    status = (
        _("final")
        if view["final"]
        else _("provisional (first-contact resolution until %(date)s)") % {"date": view["fcr_window_ends"][:10]}
    )
    days = view["first_day"] if view["first_day"] == view["last_day"] else f"{view['first_day']} - {view['last_day']}"
    # Built at: in the report's own time zone, like its days and the list of built reports (not UTC).
    subtitle = f"{days} ({view['time_zone']}), {_('built')} {moment(built, ZoneInfo(view['time_zone']))}, {status}"
    return title, subtitle


def report_pdf(view: dict) -> bytes:
    """The report ``view`` (from ``dashboard.selectors.reports.report_view``) as a PDF document."""
    title, subtitle = report_title(view)
    doc = _Doc(title, subtitle)
    doc.alias_nb_pages()
    doc.add_page()

    doc.section(_("Key figures"))
    previous = view["previous_label"] or "-"
    rows = [
        [k["label"], _figure(k["value"], k["unit"]), _figure(k["target"], k["unit"]), _figure(k["previous"], k["unit"]),
         _("provisional") if k.get("provisional") else _change(k["delta"], k["unit"]) if k["delta"] is not None else "-"]
        for k in view["kpis"]
    ]  # fmt: skip
    doc.table([_("KPI"), _("Value"), _("Target"), f"{_('Previous')} ({previous})", _("Difference")], rows,
              [62, 30, 30, 38, 30])  # fmt: skip

    doc.section(_("Offered, answered and service level per interval"))
    _chart(doc, view["chart"])

    doc.section(_("Queues"))
    header = [_("Queue"), _("Offered"), _("Answered"), _("Abandoned"), _("SL %"), _("ASA s"), _("AHT s"),
              _("Aband. %"), _("Max wait s"), _("Transf."), _("Repeat")]  # fmt: skip
    fields = ["offered", "answered", "abandoned", "service_level", "asa_s", "aht_s", "abandon_rate", "max_wait_s",
              "transferred_out", "repeat_contacts"]  # fmt: skip
    table = [[r["queue"], *(_n(r[f]) for f in fields)] for r in view["rows"]]
    table.append([_("Total"), *(_n(view["total"][f]) for f in fields)])
    doc.table(header, table, [35] + [15.5] * 10)

    doc.section(_("Contact reasons (top ten)"))
    doc.table([_("Reason"), _("Contacts")], [[r, _n(n)] for r, n in view["reasons"]] or [["-", "0"]], [80, 30])

    doc.section(_("Repeat contacts (same customer again within 7 days)"))
    rep = view["repeat"]
    doc.cell(0, 5, _t(f"{_('Repeat contacts')}: {_n(rep['contacts'])} / {_n(rep['identified'])} "
                      f"{_('identified')} ({_n(rep['rate'], '%')})"), new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    doc.table([_("Queue"), _("Reason"), _("Repeats")], [[q, r, _n(n)] for q, r, n in view["repeats"]] or [["-", "-", "0"]],
              [60, 60, 30])  # fmt: skip

    doc.section(_("Resolution, callbacks, transfers and demand outside opening hours"))
    fcr, cb, tr, oh = view["fcr"], view["callbacks"], view["transfers"], view["outside_hours"]
    lines = [
        f"{_('First-contact resolution')}: {_n(fcr['resolved'])} / {_n(fcr['answered'])} ({_n(fcr['rate'], '%')})",
        f"{_('Callbacks promised')}: {_n(cb['requested'])}, {_('completed')}: {_n(cb['completed'])}, "
        f"{_('kept on time')}: {_n(cb['kept_on_time'])} ({_n(cb['kept_rate'], '%')})",
        f"{_('Transferred to another queue')}: {_n(tr['transferred_out'])} ({_('of which overflow')}: "
        f"{_n(tr['overflowed_out'])}), {_('to another agent')}: {_n(tr['agent_transfers'])}",
        f"{_('Offered outside opening hours')}: {_n(oh['offered'])} ({_n(oh['share'], '%')})",
    ]
    for line in lines:
        doc.cell(0, 5, _t(line), new_x="LMARGIN", new_y="NEXT")
    if tr["to"]:
        doc.table([_("Transferred to"), _("Contacts")], [[d, _n(n)] for d, n in tr["to"]], [80, 30])

    if view["agent_time"]:
        doc.section(_("Agent time (hours)"))
        doc.table(
            [_("Team"), _("Staffed"), _("Available"), _("On contact"), _("ACW"), _("Paused"), _("Occupancy %")],
            [[a["team"], _n(a["staffed_s"]), _n(a["available_s"]), _n(a["on_contact_s"]), _n(a["acw_s"]),
              _n(a["paused_s"]), _n(a["occupancy"])] for a in view["agent_time"]],
            [46, 22, 22, 22, 22, 22, 24],
        )  # fmt: skip
    if view.get("adherence"):
        doc.section(_("Schedule adherence"))
        doc.table(
            [_("Team"), _("Scheduled (hours)"), _("Adherence (%)"), _("Conformance (%)")],
            [[a["team"], _n(a["scheduled_h"]), _n(a["adherence_pct"]), _n(a["conformance_pct"])]
             for a in view["adherence"]],
            [60, 40, 40, 40],
        )  # fmt: skip
    for note in view.get("acknowledgements", []):
        doc.ln(2)
        doc.set_font("Helvetica", "I", 7)
        doc.multi_cell(0, 4, _t(note))
    return bytes(doc.output())
