"""Locations, scanning and the ledger endpoints."""

from sqlalchemy import text

from custody import codes
from custody.extensions import db


def test_location_tree_and_counts(api, make):
    keeper = make.user("keeper", kind="centre")
    client = api(keeper)
    warehouse = client.post("/api/v1/locations", json={"name": "一号库", "kind": "warehouse"})
    assert warehouse.status_code == 201
    wh = warehouse.get_json()
    assert codes.parse(wh["code"]).kind is codes.CodeKind.LOCATION
    assert wh == {"code": wh["code"], "name": "一号库", "kind": "warehouse", "parent": None, "item_count": 0}
    shelf = client.post("/api/v1/locations", json={"name": "A-01", "kind": "shelf", "parent": wh["code"]}).get_json()
    assert shelf["parent"] == wh["code"]
    got = client.get(f"/api/v1/locations/{shelf['code']}").get_json()
    assert got == shelf


def test_location_rules(api, make):
    keeper = make.user("keeper", kind="centre")
    client = api(keeper)
    assert client.post("/api/v1/locations", json={"name": "bin", "kind": "bin"}).status_code == 422
    assert client.post("/api/v1/locations", json={"name": "x", "kind": "cave"}).status_code == 422
    assert client.post("/api/v1/locations", json={"name": "x", "kind": "zone", "parent": "LNOPE"}).status_code == 422
    custom = client.post("/api/v1/locations", json={"code": "WH-A", "name": "A", "kind": "warehouse"})
    assert custom.status_code == 201 and custom.get_json()["code"] == "WH-A"
    dup = client.post("/api/v1/locations", json={"code": "WH-A", "name": "A", "kind": "warehouse"})
    assert dup.status_code == 409
    item_like = codes.new_code(codes.CodeKind.ITEM)
    assert (
        client.post("/api/v1/locations", json={"code": item_like, "name": "A", "kind": "warehouse"}).status_code == 422
    )
    handler = make.user("handler")
    assert api(handler).post("/api/v1/locations", json={"name": "x", "kind": "warehouse"}).status_code == 403
    assert client.get("/api/v1/locations/LNOPE").status_code == 404


def test_scan_resolves_bare_codes_and_label_urls(api, make):
    keeper = make.user("keeper", kind="centre")
    handler = make.user("handler")
    item = make.items(handler, make.case(handler), 1)[0]
    place = make.location(keeper)
    client = api(keeper)
    for raw in (
        item.code,
        item.code.lower(),
        f"http://custody.test/s/{item.code}",
        f"https://other.host:8443/x/s/{item.code}?q=1",
    ):
        body = client.get("/api/v1/scan", query_string={"code": raw}).get_json()
        assert body["kind"] == "item" and body["code"] == item.code and body["object"]["code"] == item.code
        assert body["actions"] == ["intake"]
    body = client.get("/api/v1/scan", query_string={"code": f"http://custody.test/s/{place.code}"}).get_json()
    assert body["kind"] == "location" and body["object"]["name"] == place.name
    custom = make.location(keeper)
    assert client.get("/api/v1/scan", query_string={"code": custom.code}).get_json()["kind"] == "location"
    assert api(handler).get("/api/v1/scan", query_string={"code": item.code}).get_json()["actions"] == []


def test_scan_errors(api, make):
    client = api(make.user("keeper", kind="centre"))
    unknown = codes.new_code(codes.CodeKind.ITEM)
    mistyped = unknown[:-1] + ("0" if unknown[-1] != "0" else "1")
    cases = {
        unknown: (404, "unknown_code"),
        mistyped: (422, "bad_check_character"),
        "hello world": (422, "malformed_code"),
        "https://example.com/x": (422, "malformed_code"),
        codes.new_code(codes.CodeKind.HANDOVER): (404, "unknown_code"),
    }
    for raw, expected in cases.items():
        response = client.get("/api/v1/scan", query_string={"code": raw})
        assert (response.status_code, response.get_json()["code"]) == expected, raw
    assert client.get("/api/v1/scan").status_code == 422


def test_ledger_entries_pages_head_and_verify(api, make):
    auditor = make.user("auditor", kind="supervision")
    handler = make.user("handler")
    case = make.case(handler)
    for _ in range(3):
        make.items(handler, case, 1)
    client = api(auditor)
    head = client.get("/api/v1/ledger/head").get_json()
    entries, after = [], 0
    while True:
        page = client.get(f"/api/v1/ledger/entries?after={after}&limit=2").get_json()
        entries += page["items"]
        if not page["next"]:
            break
        after = int(page["next"])
    assert [e["seq"] for e in entries] == list(range(1, head["seq"] + 1))
    assert entries[-1]["hash"] == head["hash"]
    assert all(entries[i]["prev_hash"] == entries[i - 1]["hash"] for i in range(1, len(entries)))
    assert client.get("/api/v1/ledger/entries?cursor=2&limit=1").get_json()["items"][0]["seq"] == 3
    assert client.post("/api/v1/ledger/verify").get_json()["ok"] is True


def test_verify_api_names_the_tampered_entry(api, make):
    auditor = make.user("auditor", kind="supervision")
    handler = make.user("handler")
    case = make.case(handler)
    make.items(handler, case, 1)
    make.items(handler, case, 1)
    target = api(auditor).get("/api/v1/ledger/head").get_json()["seq"] - 1
    db.session.execute(
        text("UPDATE ledger_entries SET body = replace(body, 'Phone', 'Phony') WHERE seq = :s"), {"s": target}
    )
    db.session.commit()
    body = api(auditor).post("/api/v1/ledger/verify").get_json()
    assert body["ok"] is False and body["first_bad_seq"] == target and body["reason"] == "hash_mismatch"
