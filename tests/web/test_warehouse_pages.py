"""The keepers' floor pages: intake desk, put-away, the location tree (design §5.1, §5.2), without JavaScript."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from custody import clock
from custody.extensions import db
from custody.models import Item, LedgerEntry, Location


@pytest.fixture
def floor(make: Any) -> dict[str, Any]:
    keeper = make.keeper()
    handler = make.user("handler")
    case = make.case(handler, case_no="公刑立字〔2026〕7号")
    store = make.location(keeper, name="一号库")
    shelf = make.location(keeper, "shelf", parent=store, name="A-01")
    items = make.items(handler, case, 2, name="苹果手机", description="黑色，屏幕有裂痕", seal_no="FT000123")
    return {"keeper": keeper, "handler": handler, "case": case, "store": store, "shelf": shelf, "items": items}


def fresh(code: str) -> Item:
    db.session.rollback()  # see what the request committed
    return db.session.scalars(select(Item).where(Item.code == code)).one()


def entries() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash (\w+)"', html)


@pytest.mark.parametrize(("language", "word"), [("zh", "存放位置"), ("en", "Locations")])
@pytest.mark.parametrize("path", ["/intake", "/move", "/locations"])
def test_floor_pages_render_in_both_languages(client, login, floor, path, language, word):
    login(floor["keeper"])
    client.post(f"/lang/{language}", data={"csrf_token": _token(client.get("/").get_data(as_text=True))})
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ('lang="zh-CN"' if language == "zh" else 'lang="en"') in html and word in html
    assert "<script>" not in html  # scripts are files (a CSP forbids inline ones)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def sign_out(client: Any) -> None:
    client.post("/logout", data={"csrf_token": _token(client.get("/").get_data(as_text=True))})


def test_desk_pages_are_for_keepers(client, login, floor):
    login(floor["handler"])
    assert client.get("/intake").status_code == 403
    assert client.get("/move").status_code == 403
    assert client.get(f"/intake/card/{floor['items'][0].code}").status_code == 403
    assert client.get("/locations").status_code == 200  # anyone may look at the places
    assert 'id="add-location"' not in client.get("/locations").get_data(as_text=True)


def test_intake_without_javascript(client, login, post_form, floor):
    login(floor["keeper"])
    item, shelf = floor["items"][0], floor["shelf"]
    html = client.get("/intake", query_string={"code": item.code.lower()}).get_data(as_text=True)
    for shown in ("苹果手机", item.code, "公刑立字〔2026〕7号", "黑色，屏幕有裂痕", "FT000123", "1 pc"):
        assert shown in html, shown
    assert f'action="/intake/{item.code}"' in html and 'name="matches_description"' in html and shelf.code in html
    assert "late-warning" not in html
    before = entries()
    response = post_form(
        f"/intake?code={item.code}",
        {"matches_description": "1", "seal_intact": "1", "location": shelf.code},
        to=f"/intake/{item.code}",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/intake"
    stored = fresh(item.code)
    assert stored.status == "in_storage" and stored.location_id == shelf.id and not stored.late_intake
    assert entries() == before + 1
    after = client.get("/intake").get_data(as_text=True)
    assert flashes(after) == ["ok"] and item.code in after


def test_intake_form_needs_both_checks_or_a_note(client, login, post_form, floor):
    login(floor["keeper"])
    item, shelf = floor["items"][0], floor["shelf"]
    page, to = f"/intake?code={item.code}", f"/intake/{item.code}"
    before = entries()
    for data in ({"seal_intact": "1", "location": shelf.code}, {"matches_description": "1", "location": shelf.code}):
        response = post_form(page, data, to=to)
        assert response.status_code == 302 and response.headers["Location"] == f"/intake?code={item.code}"
        assert flashes(client.get(response.headers["Location"]).get_data(as_text=True)) == ["error"]
    assert entries() == before and fresh(item.code).status == "registered"
    # A broken seal is taken in when the note says what was found; the ledger records it.
    typed = {
        "matches_description": "1",
        "note": "封条破损",
        "location": "",
        "location_code": f"http://custody.test/s/{shelf.code}",
    }
    assert post_form(page, typed, to=to).headers["Location"] == "/intake"
    assert fresh(item.code).location_id == shelf.id
    body = db.session.scalars(select(LedgerEntry.body).order_by(LedgerEntry.seq.desc()).limit(1)).one()
    assert '"seal_intact":false' in body and "封条破损" in body


def test_intake_form_refusals_come_back_as_messages(client, login, post_form, floor):
    login(floor["keeper"])
    item = floor["items"][0]
    bad = post_form(
        f"/intake?code={item.code}",
        {"matches_description": "1", "seal_intact": "1", "location": "LNOWHERE"},
        to=f"/intake/{item.code}",
    )
    assert bad.headers["Location"] == f"/intake?code={item.code}"
    html = client.get(bad.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No location with this code." in html
    assert fresh(item.code).status == "registered"
    # Not a keeper's item to see, a location label, or nonsense: the desk says so and shows no card.
    assert flashes(client.get(f"/intake?code={floor['shelf'].code}").get_data(as_text=True)) == ["error"]
    assert flashes(client.get("/intake?code=hello").get_data(as_text=True)) == ["error"]


def test_desk_warns_before_a_late_intake(client, login, make, floor):
    (late,) = make.items(floor["handler"], floor["case"], 1, seized_at=clock.now() - timedelta(hours=30))
    login(floor["keeper"])
    html = client.get(f"/intake/card/{late.code}").get_data(as_text=True)
    assert "late-warning" in html and "data-late" in html and "<html" not in html
    assert "late-warning" not in client.get(f"/intake/card/{floor['items'][0].code}").get_data(as_text=True)
    assert client.get("/intake/card/INOPE").status_code == 404


def test_desk_card_of_an_item_in_storage_has_no_form(client, login, make, floor):
    (stored,) = make.stored_items(floor["handler"], floor["keeper"], floor["shelf"], 1)
    login(floor["keeper"])
    html = client.get(f"/intake/card/{stored.code}").get_data(as_text=True)
    assert 'data-status="in_storage"' in html and 'id="intake-form"' not in html and floor["shelf"].code in html


def test_put_away_without_javascript(client, login, post_form, make, floor):
    keeper, shelf, store = floor["keeper"], floor["shelf"], floor["store"]
    stored = make.stored_items(floor["handler"], keeper, store, 2)
    login(keeper)
    # A location scanned on the form becomes the target.
    response = post_form("/move", {"code": shelf.code})
    assert response.status_code == 302 and response.headers["Location"] == f"/move?location={shelf.code}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A-01" in html and f'value="{shelf.code}"' in html and "一号库" in html  # target, with its trail
    before = entries()
    for item in stored:
        moved = post_form(f"/move?location={shelf.code}", {"location": shelf.code, "code": item.code})
        assert moved.headers["Location"] == f"/move?location={shelf.code}"
        assert fresh(item.code).location_id == shelf.id
    assert entries() == before + 2
    # Already there, or not yet taken in: refused with a message, nothing recorded.
    for code in (stored[0].code, floor["items"][0].code):
        refused = post_form(f"/move?location={shelf.code}", {"location": shelf.code, "code": code})
        assert flashes(client.get(refused.headers["Location"]).get_data(as_text=True)) == ["error"]
    assert entries() == before + 2
    # An item with no target chosen yet.
    nowhere = post_form("/move", {"code": stored[0].code})
    assert nowhere.headers["Location"] == "/move"
    assert flashes(client.get("/move").get_data(as_text=True)) == ["error"]


def test_tree_shows_own_and_total_counts(client, login, make, floor):
    keeper, store, shelf = floor["keeper"], floor["store"], floor["shelf"]
    bin_ = make.location(keeper, "bin", parent=shelf, name="A-01-1")
    make.stored_items(floor["handler"], keeper, store, 1)
    make.stored_items(floor["handler"], keeper, bin_, 2)
    login(keeper)
    html = client.get("/locations").get_data(as_text=True)
    rows = re.findall(
        r'<li id="loc-([^"]+)"[^>]*>\s*<div class="loc-node">.*?data-own="(\d+)" data-total="(\d+)"', html, re.S
    )
    found = {code: (int(own), int(total)) for code, own, total in rows}
    assert found == {store.code: (1, 3), shelf.code: (0, 2), bin_.code: (2, 2)}
    # Nested: the bin sits inside the shelf's list, inside the warehouse's.
    assert (
        html.index(f'id="loc-{store.code}"')
        < html.index(f'id="loc-{shelf.code}"')
        < html.index(f'id="loc-{bin_.code}"')
    )
    assert f'href="/locations/{bin_.code}"' in html


def test_add_a_location_from_the_tree(client, login, post_form, floor):
    login(floor["keeper"])
    response = post_form("/locations", {"name": "B 区", "kind": "zone", "parent": floor["store"].code, "code": ""})
    assert response.status_code == 302 and response.headers["Location"].startswith("/locations#loc-L")
    db.session.rollback()
    zone = db.session.scalars(select(Location).where(Location.name == "B 区")).one()
    assert zone.parent_id == floor["store"].id


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "kind": "warehouse"}, "name"),
        ({"name": "x", "kind": ""}, "kind"),
        ({"name": "x", "kind": "bin"}, "parent"),
        ({"name": "x", "kind": "zone", "parent": "LNOPE"}, "parent"),
        ({"name": "x", "kind": "warehouse", "code": "a b"}, "code"),
    ],
)
def test_location_form_shows_errors_by_field(client, login, post_form, floor, data, field):
    login(floor["keeper"])
    before = db.session.scalar(select(func.count()).select_from(Location))
    response = post_form("/locations", {"parent": "", "code": "", **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'<span class="field-error" data-field="{field}">[^<]+</span>', html), html[-3000:]
    assert flashes(html) == ["error"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Location)) == before


def test_location_form_refuses_a_taken_code_and_a_non_keeper(client, login, post_form, make, floor):
    login(floor["keeper"])
    post_form("/locations", {"name": "C", "kind": "warehouse", "code": "WH-C", "parent": ""})
    again = post_form("/locations", {"name": "C2", "kind": "warehouse", "code": "WH-C", "parent": ""})
    assert 'data-field="code"' in again.get_data(as_text=True)
    sign_out(client)
    login(floor["handler"])
    refused = post_form("/locations", {"name": "D", "kind": "warehouse", "code": "", "parent": ""})
    assert flashes(refused.get_data(as_text=True)) == ["error"]
    db.session.rollback()
    assert db.session.scalars(select(Location).where(Location.name == "D")).one_or_none() is None


def test_location_page_has_breadcrumbs_total_and_put_away_link(client, login, make, floor):
    keeper, store, shelf = floor["keeper"], floor["store"], floor["shelf"]
    bin_ = make.location(keeper, "bin", parent=shelf, name="A-01-1")
    make.stored_items(floor["handler"], keeper, bin_, 2)
    login(keeper)
    html = client.get(f"/locations/{shelf.code}").get_data(as_text=True)
    crumbs = re.search(r'<p class="crumbs">(.*?)</p>', html, flags=re.S).group(1)
    assert 'href="/locations"' in crumbs and f'href="/locations/{store.code}"' in crumbs
    assert '<dd class="total-count">2</dd>' in html
    assert f'href="/move?location={shelf.code}"' in html
    sign_out(client)
    login(floor["handler"])
    assert "/move?location=" not in client.get(f"/locations/{shelf.code}").get_data(as_text=True)
