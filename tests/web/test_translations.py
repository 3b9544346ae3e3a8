"""The Chinese catalog is complete: every string in the code is in it, translated, not fuzzy, and it compiles.

So a new ``_("...")`` cannot ship showing English to a Chinese user: this fails until
the catalog is updated (pybabel extract/update, see custody/web/i18n.py) and translated.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from custody.web.i18n import TRANSLATIONS

ROOT = Path(__file__).resolve().parents[2]
CATALOG = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def catalog():
    with CATALOG.open("rb") as fh:
        return read_po(fh, locale="zh")


def _source_ids() -> dict[str, str]:
    """Every msgid in the code and templates, as babel.cfg tells pybabel to find them → where it is."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _id(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    untranslated = [
        _id(m) for m in catalog if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [_id(m) for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"untranslated in {CATALOG.name}: {untranslated}"
    assert fuzzy == [], f"fuzzy (unreviewed) in {CATALOG.name}: {fuzzy}"
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"
    assert list(catalog.obsolete) == []


def test_every_string_in_the_source_is_in_the_catalog(catalog):
    known = {_id(m) for m in catalog if m.id}
    missing = {msgid: where for msgid, where in _source_ids().items() if msgid not in known}
    assert missing == {}, "not in the catalog; run pybabel extract + update and translate them"


def test_placeholders_match(catalog):
    problems = [(_id(m), [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_catalog_compiles_and_round_trips(catalog, tmp_path):
    out = BytesIO()
    write_mo(out, catalog)
    (tmp_path / "messages.mo").write_bytes(out.getvalue())
    with (tmp_path / "messages.mo").open("rb") as fh:
        compiled = read_mo(fh)
    assert compiled.get("Seal number").string == "封签号"
    assert len([m for m in compiled if m.id]) == len([m for m in catalog if m.id])


def test_every_ledger_entry_kind_has_a_name_for_people() -> None:
    """The ledger browser and timelines name each act; a kind without a name showed its raw key (``case.closed``)."""
    from custody.ledger import EntryKind
    from custody.web.labels import ENTRY_KINDS

    assert sorted(set(EntryKind) - set(ENTRY_KINDS)) == []
