"""Vietnamese is the default language and must be complete.

1. The catalogue: every entry of partnerships/locale/vi/LC_MESSAGES/django.po is translated,
   none is fuzzy, placeholders survive, and every string marked for translation in the code
   and templates is in it (a new English string without a translation fails here, even when
   nobody ran makemessages). The compiled .mo must match the .po (scripts/setup.sh compiles).
2. The pages: Vietnamese by default, English after switching through /i18n/setlang/, with
   expected strings read from the translation machinery and checked to differ from the
   English, so the assertions cannot pass vacuously.
3. Django's own messages come from its Vietnamese catalogue; dates read dd/mm/yyyy.

The .po is read with a small parser (standard library only).
"""

import ast
import gettext as gettext_module
import os
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.html import escape
from django.utils.translation.template import templatize

from partnerships.models import MouState
from partnerships.models.parties import validate_tax_code

ROOT = Path(settings.BASE_DIR)
LOCALE_DIR = ROOT / "partnerships" / "locale" / "vi" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

# Where makemessages looks (run from the repository root with --ignore=.venv --ignore=tests).
SKIPPED_DIRS = {
    ".venv",
    "tests",
    "node_modules",
    "staticfiles",
    "var",
    "test-results",
    "__pycache__",
}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}

# Django's xgettext keywords: name -> (context argument, msgid argument, plural argument).
KEYWORDS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}

PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxX]")


# --- Reading the .po -------------------------------------------------------------------


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip())


def parse_po(text: str) -> list[dict]:
    """Entries as dicts: msgctxt, msgid, msgid_plural, msgstr (list), flags (set).

    Obsolete entries (#~) and previous-msgid comments (#|) are skipped. An entry starts at a
    comment or msgctxt/msgid after a msgstr, so a missing blank line does not merge entries.
    """
    entries, entry, field = [], None, None

    def flush():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if (
            entry is not None
            and entry["msgstr"]
            and (line.startswith("#") or line.startswith(("msgctxt ", "msgid ")))
        ):
            flush()
            entry = None
        if entry is None:
            entry = {"flags": set(), "msgstr": [], "msgctxt": None, "msgid_plural": None}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field == "msgstr":
                entry["msgstr"][-1] += _unquote(line)
            else:
                entry[field] += _unquote(line)
        else:
            keyword, _space, value = line.partition(" ")
            if keyword.startswith("msgstr"):
                field = "msgstr"
                entry["msgstr"].append(_unquote(value))
            elif keyword in {"msgctxt", "msgid", "msgid_plural"}:
                field = keyword
                entry[keyword] = _unquote(value)
            else:
                raise AssertionError(f"Unexpected line in {PO_PATH.name}: {raw!r}")
    flush()
    return entries


@pytest.fixture(scope="module")
def po_entries():
    assert PO_PATH.exists(), f"{PO_PATH} is missing"
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


def _messages(entries):
    return [entry for entry in entries if entry["msgid"]]


def _describe(entry):
    return f"{entry['msgctxt'] + ' | ' if entry['msgctxt'] else ''}{entry['msgid']!r}"


def test_header_declares_vietnamese_utf8_and_one_plural_form(po_entries):
    headers = [entry for entry in po_entries if entry["msgid"] == ""]
    assert len(headers) == 1
    header = headers[0]
    assert "fuzzy" not in header["flags"]
    fields = dict(line.split(": ", 1) for line in header["msgstr"][0].splitlines() if ": " in line)
    assert fields["Language"] == "vi"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


def test_every_entry_is_translated_and_none_is_fuzzy(po_entries):
    messages = _messages(po_entries)
    assert len(messages) > 100, "the catalogue looks truncated"
    untranslated = [
        _describe(entry)
        for entry in messages
        if not entry["msgstr"] or not all(text.strip() for text in entry["msgstr"])
    ]
    fuzzy = [_describe(entry) for entry in messages if "fuzzy" in entry["flags"]]
    assert not untranslated, "Translate these in django.po:\n" + "\n".join(untranslated)
    assert not fuzzy, "Check these fuzzy entries and remove the flag:\n" + "\n".join(fuzzy)


def test_plural_entries_have_exactly_one_form(po_entries):
    for entry in _messages(po_entries):
        if entry["msgid_plural"] is not None:
            assert len(entry["msgstr"]) == 1, _describe(entry)


def test_placeholders_are_kept(po_entries):
    for entry in _messages(po_entries):
        if "python-format" not in entry["flags"]:
            continue
        expected = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for text in entry["msgstr"]:
            assert sorted(PLACEHOLDER.findall(text)) == expected, _describe(entry)


def test_entries_are_unique(po_entries):
    keys = [(entry["msgctxt"], entry["msgid"]) for entry in _messages(po_entries)]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates


# --- The catalogue covers the code --------------------------------------------------------


def _calls_in_python(source: str):
    """(context, msgid) of every translation call with literal arguments."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in KEYWORDS:
            continue
        context_index, msgid_index, _plural = KEYWORDS[name]
        args = node.args
        if len(args) <= msgid_index:
            continue
        msgid = args[msgid_index]
        if not (isinstance(msgid, ast.Constant) and isinstance(msgid.value, str)):
            continue
        context = None
        if context_index is not None:
            argument = args[context_index]
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                continue
            context = argument.value
        yield context, msgid.value


CALL_START = re.compile(r"\b(?:" + "|".join(map(re.escape, KEYWORDS)) + r")\(")


def _calls_in_template(source: str, origin: str):
    """Templates go through Django's own templatize (what makemessages feeds xgettext);
    each translation call in its output is a Python expression."""
    code = templatize(source, origin=origin)
    for match in CALL_START.finditer(code):
        start = match.start()
        end = match.end()
        while True:
            end = code.find(")", end)
            assert end != -1, f"unbalanced translation call in {origin}"
            end += 1
            try:
                expression = ast.parse(code[start:end], mode="eval")
            except SyntaxError:
                continue
            yield from _calls_in_python(ast.unparse(expression))
            break


def source_msgids() -> set[tuple[str | None, str]]:
    found = set()
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [
            name for name in subdirectories if name not in SKIPPED_DIRS and not name.startswith(".")
        ]
        for name in files:
            path = Path(directory) / name
            if path.suffix not in SOURCE_SUFFIXES:
                continue
            source = path.read_text(encoding="utf-8")
            if path.suffix == ".py":
                found |= set(_calls_in_python(source))
            else:
                found |= set(_calls_in_template(source, str(path.relative_to(ROOT))))
    return found


def test_every_string_in_the_code_is_in_the_catalogue(po_entries):
    catalogued = {(entry["msgctxt"], entry["msgid"]) for entry in _messages(po_entries)}
    in_code = source_msgids()
    assert (None, "Dashboard") in in_code, "the extractor found nothing"
    missing = sorted(in_code - catalogued, key=lambda key: key[1])
    assert not missing, (
        "Strings marked for translation are missing from django.po. Run\n"
        "  DEBUG=1 python manage.py makemessages -l vi --ignore=.venv --ignore=tests "
        "--no-location\nthen translate them:\n" + "\n".join(repr(key[1]) for key in missing)
    )


def test_compiled_catalogue_matches_the_po(po_entries):
    assert MO_PATH.exists(), (
        "django.mo is missing: run DEBUG=1 python manage.py compilemessages --ignore=.venv"
    )
    with MO_PATH.open("rb") as handle:
        compiled = gettext_module.GNUTranslations(handle)
    stale = []
    for entry in _messages(po_entries):
        if entry["msgid_plural"] is not None:
            continue
        key = (
            entry["msgid"]
            if entry["msgctxt"] is None
            else (f"{entry['msgctxt']}\x04{entry['msgid']}")
        )
        if compiled._catalog.get(key) != entry["msgstr"][0]:
            stale.append(_describe(entry))
    assert not stale, (
        "django.mo is out of date: run DEBUG=1 python manage.py compilemessages "
        "--ignore=.venv\n" + "\n".join(stale[:10])
    )


# --- Pages ---------------------------------------------------------------------------------


def vi_and_en(message: str) -> tuple[str, str]:
    """The Vietnamese and English texts of a message, which must differ."""
    with translation.override("vi"):
        vietnamese = translation.gettext(message)
    with translation.override("en"):
        english = translation.gettext(message)
    assert vietnamese != english, f"{message!r} has no Vietnamese translation"
    return vietnamese, english


def label_in(language: str, lazy) -> str:
    with translation.override(language):
        return str(lazy)


def switch_to_english(client):
    # The language buttons at the top of every page.
    response = client.submit("/", {"language": "en", "next": "/"}, action="/i18n/setlang/")
    assert response.status_code == 302
    assert response.url == "/"


@pytest.fixture
def staff_client(client, world):
    assert client.login(username="staff", password="pw-staff")
    return client


def test_dashboard_is_vietnamese_by_default_and_english_after_switching(staff_client):
    heading_vi, heading_en = vi_and_en("Dashboard")
    nav_vi, nav_en = vi_and_en("MoUs")

    page = staff_client.get("/").content.decode()
    assert '<html lang="vi">' in page
    assert f"<h1>{escape(heading_vi)}</h1>" in page
    assert escape(nav_vi) in page
    assert f"<h1>{heading_en}</h1>" not in page

    switch_to_english(staff_client)
    page = staff_client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert f"<h1>{heading_en}</h1>" in page
    assert nav_en in page
    assert escape(heading_vi) not in page


def test_mou_list_is_vietnamese_by_default_and_english_after_switching(staff_client, world):
    heading_vi, heading_en = vi_and_en("MoUs")
    draft_vi, draft_en = label_in("vi", MouState.DRAFT.label), label_in("en", MouState.DRAFT.label)
    assert draft_vi != draft_en
    start = world.mou.term_start.strftime("%d/%m/%Y")

    page = staff_client.get("/mous/").content.decode()
    assert '<html lang="vi">' in page
    assert f"<h1>{escape(heading_vi)}</h1>" in page
    assert escape(draft_vi) in page
    assert start in page  # dd/mm/yyyy

    switch_to_english(staff_client)
    page = staff_client.get("/mous/").content.decode()
    assert '<html lang="en">' in page
    assert f"<h1>{heading_en}</h1>" in page
    assert draft_en in page
    assert escape(draft_vi) not in page
    assert start in page  # dd/mm/yyyy in English too


def test_mou_detail_shows_vietnamese_labels_and_dates(staff_client, world):
    party_a, _english = vi_and_en("Party A: the authority")
    page = staff_client.get(world.mou.get_absolute_url()).content.decode()
    assert escape(party_a) in page
    assert world.mou.term_end.strftime("%d/%m/%Y") in page


def _partner_form(**fields):
    return {
        "name": "Hợp tác xã Rau sạch",
        "tax_code": "0312345679",
        "address": "",
        "sector": "",
        "workforce_size": "",
        "status": "active",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        **fields,
    }


def _tax_code_error(language: str) -> str:
    with translation.override(language):
        with pytest.raises(ValidationError) as caught:
            validate_tax_code("12345")
        return str(caught.value.messages[0])


def test_form_error_is_vietnamese_by_default(staff_client):
    error_vi, error_en = _tax_code_error("vi"), _tax_code_error("en")
    assert error_vi != error_en
    banner_vi, _banner_en = vi_and_en(
        "Please correct the errors below. Nothing has been saved yet."
    )

    response = staff_client.submit("/partners/new/", _partner_form(tax_code="12345"))
    assert response.status_code == 200
    page = response.content.decode()
    assert escape(error_vi) in page
    assert escape(banner_vi) in page
    assert escape(error_en) not in page


def test_form_error_is_english_after_switching(staff_client):
    error_en = _tax_code_error("en")
    switch_to_english(staff_client)
    page = staff_client.submit("/partners/new/", _partner_form(tax_code="12345")).content.decode()
    assert escape(error_en) in page


def test_djangos_own_messages_come_from_its_vietnamese_catalogue(staff_client):
    # Not in our catalogue: Django ships the Vietnamese text.
    required_vi, required_en = vi_and_en("This field is required.")
    page = staff_client.submit("/partners/new/", _partner_form(name="")).content.decode()
    assert escape(required_vi) in page
    assert escape(required_en) not in page


def test_dates_read_dd_mm_yyyy_in_both_languages():
    day = date(2025, 3, 7)
    for language in ("vi", "en"):
        with translation.override(language):
            assert formats.date_format(day, "SHORT_DATE_FORMAT") == "07/03/2025"
            assert formats.date_format(day) == "07/03/2025"
            assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%d/%m/%Y"
