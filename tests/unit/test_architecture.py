"""Rules about the code itself that a reviewer should not have to remember."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "custody"


def _sources():
    return [p for p in ROOT.rglob("*.py") if "translations" not in p.parts]


def test_only_the_unit_of_work_commits():
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources()
        if p.name != "uow.py" and re.search(r"\.commit\(", p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_views_and_api_handlers_do_not_write_the_ledger():
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources()
        if p.parts[len(ROOT.parts)] in ("api", "web")
        and "ledger import" in p.read_text(encoding="utf-8")
        and "append" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_modules_stay_short():
    lengths = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in _sources()}
    assert {name: n for name, n in lengths.items() if n > 400} == {}
