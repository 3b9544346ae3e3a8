"""POST /api/v1/cases/{case_no}/close and the case page's form."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import csrf_from
from tests.worlds import HandoverWorld


def test_closing_through_the_api(make: Any, api: Any) -> None:
    world = HandoverWorld(make, case_no="公刑立字〔2026〕7号")
    handler = api(world.handler)
    path = f"/api/v1/cases/{world.case.case_no}/close"
    bad = handler.post(path, json={"reason": "because"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["errors"]
    assert api(world.judge).post(path, json={"reason": "withdrawn"}).status_code == 404
    assert api(world.keeper).post(path, json={"reason": "withdrawn"}).get_json()["code"] == "forbidden"
    done = handler.post(path, json={"reason": "withdrawn", "note": "Withdrawn by the prosecutor"})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["stage"] == "closed" and body["closed_reason"] == "withdrawn" and body["closed_at"].endswith("Z")
    assert handler.post(path, json={"reason": "withdrawn"}).get_json()["code"] == "invalid_state"
    assert handler.get(f"/api/v1/cases/{world.case.case_no}").get_json()["stage"] == "closed"


def test_closing_from_the_case_page(make: Any, client: Any, login: Any) -> None:
    world = HandoverWorld(make)
    login(world.handler)
    page = client.get(f"/cases/{world.case.case_no}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert 'id="close-form"' in html
    path, en = f"/cases/{world.case.case_no}", {"Accept-Language": "en"}
    response = client.post(f"{path}/close", data={"csrf_token": csrf_from(html), "reason": ""}, headers=en)
    assert response.status_code == 302
    assert "Choose why the case is closed." in client.get(path, headers=en).get_data(as_text=True)
    form = {"csrf_token": csrf_from(html), "reason": "judgment_executed"}
    assert client.post(f"{path}/close", data=form, headers=en).status_code == 302
    html = client.get(path, headers=en).get_data(as_text=True)
    assert "Case closed." in html and 'id="close-form"' not in html and "Judgment executed" in html
