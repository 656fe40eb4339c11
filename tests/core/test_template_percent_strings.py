"""A template's ``{% translate "… (%)" %}`` is looked up with its percent sign doubled ("… (%%)"), so its
Dutch entry must be written that way; an entry written with a single % leaves the page in English (as
"Deviation (%)" was on the intraday page). Every such string of every template is Dutch."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PERCENT = re.compile(r"""\{% translate (?:"([^"]*%[^"]*)"|'([^']*%[^']*)')""")
STRINGS = sorted({a or b for path in TEMPLATES.rglob("*.html") for a, b in PERCENT.findall(path.read_text())})


def test_the_templates_have_such_strings():
    assert "Deviation (%)" in STRINGS and len(STRINGS) >= 10


@pytest.mark.parametrize("text", STRINGS)
def test_each_has_its_dutch_entry(text):
    with translation.override("nl"):
        catalog = translation.trans_real.catalog()._catalog
        shown = Template('{% load i18n %}{% translate "' + text + '" %}').render(Context())
    looked_up = text.replace("%", "%%")
    assert looked_up in catalog, f"{text!r} shows in English on a Dutch page: add msgid {looked_up!r}"
    assert shown == catalog[looked_up].replace("%%", "%")
