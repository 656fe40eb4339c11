"""Hypothesis strategies for the fuzz suite: values a parameter of a known type might get, good and
bad, and junk that fits no type (unicode, NUL, huge numbers, 5,000-digit ids, impossible dates and
weeks)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

# Text a browser or a script can put in a URL (no lone surrogates: they cannot be encoded at all).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)

EDGE_NUMBERS = [
    "0", "-0", "-1", "1", "0.5", "-0.5", "1e308", "-1e308", "1e-320", "nan", "NaN", "inf", "-inf", "Infinity",
    "9" * 20, "-" + "9" * 20, "9" * 5000, "1" + "0" * 309, "0x10", "1_000", "١٢", "²", " 1 ", "1,5", "",
    "2147483648", "-2147483649", "9223372036854775808", "18446744073709551616",
]  # fmt: skip
EDGE_DATES = [
    "0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30", "2026-13-01", "2026-00-10", "20261124",
    "2026-11-24T10:00:00", "2026-11-24T25:00:00+01:00", "-2026-01-01", "99999-01-01", "2026-W48", "yesterday",
    "2026-11-24\x00", "２０２６-１１-２４", "1970-01-01", "2038-01-19", "2026-03-29", "2026-10-25",
]  # fmt: skip
EDGE_WEEKS = [
    "2026-W99", "2026-W00", "2026-W53", "2020-W53", "0001-W01", "9999-W52", "9999-W53", "0000-W01", "2026-W1",
    "2026W48", "2026-w48", "2026-W48-1", "-2026-W01", "2026-W-1", "2026-W٤٨", "2026-W48\x00", "W48",
]  # fmt: skip
JUNK = [
    "", " ", "\x00", "a\x00b", "\u202e", "\ufeff", "💥", "𝟘", "null", "None", "true", "[]", "{}", "'", '"',
    "<script>alert(1)</script>", "%00", "%", "../../etc/passwd", "\r\n", "\t", "a" * 5000, "é" * 2000,
    "9" * 5000, "-" + "1" * 5000, "team:²", "queue:" + "9" * 5000, "all", "channel:voice",
]  # fmt: skip


def days_around(today: date) -> st.SearchStrategy[str]:
    """Real dates in ISO form: mostly near today, sometimes anywhere in the calendar."""
    near = st.integers(-800, 400).map(lambda n: (today + timedelta(days=n)).isoformat())
    anywhere = st.dates().map(date.isoformat)
    return st.one_of(near, near, anywhere)


def weeks_around(today: date) -> st.SearchStrategy[str]:
    def label(d: date) -> str:
        year, week, _ = d.isocalendar()
        return f"{year:04d}-W{week:02d}"

    near = st.integers(-120, 60).map(lambda n: label(today + timedelta(weeks=n)))
    made_up = st.builds(lambda y, w: f"{y:04d}-W{w:02d}", st.integers(0, 9999), st.integers(0, 99))
    return st.one_of(near, near, made_up)


def numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-(10**6), 10**6).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers().map(str),
        st.sampled_from(EDGE_NUMBERS),
    )


def junk() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(JUNK + EDGE_NUMBERS + EDGE_DATES + EDGE_WEEKS), TEXT)


def plausible(kind: str, *, today: date, choices: list[str] | None = None) -> st.SearchStrategy[str] | None:
    """A value a careful client would send for a parameter of ``kind``; None when the kind has none."""
    if choices:
        return st.sampled_from(choices)
    return {
        "date": st.integers(-60, 14).map(lambda n: (today + timedelta(days=n)).isoformat()),
        "week": st.integers(-20, 4).map(
            lambda n: "{:04d}-W{:02d}".format(*(today + timedelta(weeks=n)).isocalendar()[:2])
        ),
        "number": st.one_of(st.floats(0.01, 0.99).map(lambda f: f"{f:.2f}"), st.integers(1, 600).map(str)),
        "integer": st.integers(0, 50).map(str),
        "bool": st.sampled_from(["1", "0"]),
    }.get(kind)


def value_for(kind: str, *, today: date, choices: list[str] | None = None) -> st.SearchStrategy[str]:
    """A value for a parameter of ``kind`` (date, week, number, integer, choice, name, bool, text): the
    right type most of the time, junk otherwise."""
    good = {
        "date": days_around(today),
        "week": weeks_around(today),
        "number": numbers(),
        "integer": st.one_of(st.integers(-5, 200).map(str), numbers()),
        "bool": st.sampled_from(["1", "0", "true", "false", "yes", "on", ""]),
    }.get(kind)
    if choices:
        good = st.sampled_from(choices) if good is None else st.one_of(good, st.sampled_from(choices))
    if kind == "date":
        good = st.one_of(good, st.sampled_from(EDGE_DATES))
    if kind == "week":
        good = st.one_of(good, st.sampled_from(EDGE_WEEKS))
    if good is None:
        return junk()
    return st.one_of(good, good, good, junk())


JUNK_NAMES = st.one_of(
    st.sampled_from(["format", "page", "limit", "offset", "id", "pk", "scope", "display", "\x00", "a" * 300, "日本"]),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
)


def junk_params() -> st.SearchStrategy[dict[str, str]]:
    """Parameters no view knows."""
    return st.dictionaries(JUNK_NAMES, junk(), max_size=3)
