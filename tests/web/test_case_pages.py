"""Cases on the web: who sees what, opening a case, and the all-or-nothing "register items" form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from custody import clock
from custody.extensions import db
from custody.models import Case, Item, LedgerEntry
from tests.web.conftest import local_input, row_fields


def _count(model) -> int:
    db.session.rollback()  # see what the request committed
    return db.session.scalar(select(func.count()).select_from(model))


def _fieldset(html: str, row: int) -> str:
    match = re.search(rf'<fieldset class="item-row[^"]*" data-row="{row}">(.*?)</fieldset>', html, flags=re.S)
    assert match, f"no row {row}"
    return match.group(1)


@pytest.fixture
def handler(make):
    return make.user("handler")


@pytest.fixture
def case(make, handler):
    return make.case(handler, case_no="公刑立字〔2026〕101号", title="张某盗窃案")


def test_dashboard_lists_only_visible_cases(client, login, make, handler, case):
    other = make.user("handler")
    make.case(other, case_no="OTHER-1", title="别家的案子")
    login(handler)
    html = client.get("/").get_data(as_text=True)
    assert "张某盗窃案" in html and case.case_no in html
    assert "OTHER-1" not in html and "别家的案子" not in html


def test_case_of_another_agency_is_404_like_a_missing_one(client, login, make, case):
    login(make.user("handler"))
    hidden = client.get(f"/cases/{case.case_no}")
    missing = client.get("/cases/NO-SUCH-CASE")
    assert hidden.status_code == missing.status_code == 404
    assert "张某盗窃案" not in hidden.get_data(as_text=True)
    assert client.post(f"/cases/{case.case_no}", data={}).status_code in (400, 404)


def test_auditor_sees_the_case_but_no_register_form(client, login, make, case):
    login(make.user("auditor", kind="supervision"))
    html = client.get(f"/cases/{case.case_no}").get_data(as_text=True)
    assert "张某盗窃案" in html and 'id="register-items"' not in html


def test_open_case_through_the_form(client, login, post_form, handler):
    login(handler)
    response = post_form("/cases/new", {"case_no": "C-2026-9", "title": "李某诈骗案", "summary": "网络诈骗"})
    assert response.status_code == 302 and response.headers["Location"] == "/cases/C-2026-9"
    html = client.get("/cases/C-2026-9").get_data(as_text=True)
    assert "李某诈骗案" in html and "案件 C-2026-9 已建立" in html
    # The history shows what the case.opened entry recorded.
    history = html.split('id="history"', 1)[1]
    assert "建立案件" in history and "李某诈骗案" in history and "网络诈骗" in history and "侦查" in history


def test_duplicate_case_number_shows_a_field_error_and_changes_nothing(client, login, post_form, handler, case):
    login(handler)
    entries = _count(LedgerEntry)
    response = post_form("/cases/new", {"case_no": case.case_no, "title": "另一个"})
    assert response.status_code == 200
    assert "该案件编号已存在" in response.get_data(as_text=True)
    assert _count(Case) == 1 and _count(LedgerEntry) == entries


def test_open_case_without_title_is_refused_in_place(client, login, post_form, handler):
    login(handler)
    response = post_form("/cases/new", {"case_no": "C-NO-TITLE", "title": ""})
    assert response.status_code == 200 and 'value="C-NO-TITLE"' in response.get_data(as_text=True)
    assert _count(Case) == 0


def test_register_rows_through_the_form(client, login, post_form, handler, case):
    login(handler)
    seized = clock.now().replace(second=0, microsecond=0) - timedelta(hours=3)
    data = {
        "row_count": "3",
        **row_fields(0, name="苹果手机", seized_at=local_input(seized), estimated_value="5200", owner_name="张某"),
        **row_fields(1, name="现金", category="cash", quantity="12800", unit="元", seal_no="FT000002"),
        "rows-1-flags": ["high_value"],
    }
    page = f"/cases/{case.case_no}"
    response = post_form(page, data)
    assert response.status_code == 302 and response.headers["Location"].endswith("#items")
    db.session.rollback()
    items = db.session.scalars(select(Item).order_by(Item.id)).all()
    assert [i.name for i in items] == ["苹果手机", "现金"]
    assert items[0].seized_at == seized.astimezone(UTC)  # typed as Asia/Shanghai wall time
    assert items[1].flags == ["high_value"] and items[0].estimated_value == 5200
    html = client.get(page).get_data(as_text=True)
    assert "已登记 2 件涉案财物" in html and items[0].code in html and items[1].code in html
    assert db.session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.seq.desc())).first() == "item.registered"


def test_one_bad_row_saves_nothing_and_is_marked_inline(client, login, post_form, handler, case):
    login(handler)
    entries = _count(LedgerEntry)
    data = {
        "row_count": "3",
        **row_fields(0, name="好的一行"),
        **row_fields(2, name="坏的一行", quantity="abc", unit=""),  # row 1 left empty
    }
    response = post_form(f"/cases/{case.case_no}", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _count(Item) == 0 and _count(LedgerEntry) == entries
    assert "未保存任何内容" in html
    bad = _fieldset(html, 2)
    assert "has-errors" in re.search(r'<fieldset class="[^"]*" data-row="2">', html).group(0)
    assert 'data-field="quantity">请填写数字' in bad and 'data-field="unit">必填' in bad
    assert 'value="坏的一行"' in bad and 'value="abc"' in bad  # what was typed comes back
    assert "field-error" not in _fieldset(html, 0) and 'value="好的一行"' in _fieldset(html, 0)
    assert "field-error" not in _fieldset(html, 1)
    # The page opens on the first field to fix (autofocus: no script needed).
    focused = re.findall(r"<[^>]*\sautofocus[^>]*>", html)
    assert len(focused) == 1 and 'name="rows-2-quantity"' in focused[0]


def test_future_seizure_time_is_refused_by_the_service_and_shown_on_its_row(client, login, post_form, handler, case):
    login(handler)
    data = {"row_count": "2", **row_fields(0), **row_fields(1, seized_at=local_input(clock.now() + timedelta(days=2)))}
    html = post_form(f"/cases/{case.case_no}", data).get_data(as_text=True)
    assert _count(Item) == 0
    assert "扣押时间晚于当前时间" in _fieldset(html, 1) and "field-error" not in _fieldset(html, 0)


def test_rows_added_in_the_browser_are_read_too(client, login, post_form, handler, case):
    login(handler)
    data = {"row_count": "5", **row_fields(0, name="一"), **row_fields(4, name="五")}
    assert post_form(f"/cases/{case.case_no}", data).status_code == 302
    db.session.rollback()
    assert sorted(db.session.scalars(select(Item.name))) == ["一", "五"]


def test_add_row_without_javascript_keeps_the_rows_and_saves_nothing(client, login, post_form, handler, case):
    login(handler)
    data = {"row_count": "3", **row_fields(0, name="已填"), "add_row": "1"}
    html = post_form(f"/cases/{case.case_no}", data).get_data(as_text=True)
    assert _count(Item) == 0
    assert 'name="row_count" value="4"' in html and 'data-row="3"' in html
    assert 'value="已填"' in html
    # The new row starts with the seizure document of the row above.
    assert 'value="公扣字〔2026〕7号"' in _fieldset(html, 3)


def test_an_empty_form_asks_for_one_item(client, login, post_form, handler, case):
    login(handler)
    html = post_form(f"/cases/{case.case_no}", {"row_count": "3"}).get_data(as_text=True)
    assert "请至少填写一件财物" in html and _count(Item) == 0


def test_register_without_csrf_is_rejected(client, login, handler, case):
    login(handler)
    response = client.post(f"/cases/{case.case_no}", data={"row_count": "1", **row_fields(0)})
    assert response.status_code == 400 and _count(Item) == 0


def test_someone_who_may_not_register_gets_a_message_and_nothing_is_saved(client, login, post_form, make, case):
    login(make.user("auditor", kind="supervision"))
    response = post_form(f"/cases/{case.case_no}", {"row_count": "1", **row_fields(0)})
    assert response.status_code == 200 and _count(Item) == 0
    assert "您无权进行此操作" in response.get_data(as_text=True) or "本单位无权" in response.get_data(as_text=True)


def test_item_page_shows_record_and_timeline_in_local_time(client, login, make, handler, case):
    seized = datetime(2026, 1, 2, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    (item,) = make.items(handler, case, 1, seized_at=seized, seal_no="FT777", seizure_doc_no="公扣字〔2026〕9号")
    login(handler)
    html = client.get(f"/items/{item.code}").get_data(as_text=True)
    assert "2026-01-02 08:30" in html and "FT777" in html and "公扣字〔2026〕9号" in html
    timeline = html.split('id="timeline"', 1)[1]
    assert 'data-kind="item.registered"' in timeline and "登记入账" in timeline
    assert "FT777" in timeline and "2026-01-02 08:30" in timeline and handler.username in timeline
    local = item.registered_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert local in timeline


def test_item_of_another_agency_is_404(client, login, make, handler, case):
    (item,) = make.items(handler, case, 1)
    login(make.user("handler"))
    assert client.get(f"/items/{item.code}").status_code == 404


def test_centre_keeper_sees_the_item_but_the_case_is_not_linked(client, login, make, handler, case):
    (item,) = make.items(handler, case, 1)
    login(make.user("keeper", kind="centre"))
    dashboard = client.get("/").get_data(as_text=True)
    assert item.code in dashboard and "待入库" in dashboard
    html = client.get(f"/items/{item.code}").get_data(as_text=True)
    assert item.name in html and 'href="/cases/' not in html


def test_case_page_history_lists_the_registered_items(client, login, make, handler, case):
    items = make.items(handler, case, 2)
    login(handler)
    history = client.get(f"/cases/{case.case_no}").get_data(as_text=True).split('id="history"', 1)[1]
    assert 'data-kind="case.opened"' in history and 'data-kind="item.registered"' in history
    assert "登记涉案财物 2 件" in history
    assert all(f'href="/items/{i.code}"' in history for i in items)
