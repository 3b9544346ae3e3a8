"""The dashboard's handover panel lists only the inbox lists the user acts on, with their counts."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import csrf_from
from tests.worlds import HandoverWorld

EN = {"Accept-Language": "en"}


def _sign_out(client: Any) -> None:
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})


def _lists(client: Any) -> dict[str, int]:
    page = client.get("/", headers=EN).get_data(as_text=True)
    return {name: int(n) for name, n in re.findall(r'id="handovers-([a-z-]+)">(\d+)<', page)}


def test_each_role_sees_the_lists_it_acts_on(make: Any, login: Any, client: Any) -> None:
    world = HandoverWorld(make)
    world.approved()
    login(world.keeper)
    assert _lists(client) == {"to-check": 1}  # a keeper neither requests, approves nor accepts
    _sign_out(client)
    login(world.approver)
    assert _lists(client) == {"incoming": 0, "outgoing": 1, "to-approve": 0}
    _sign_out(client)
    login(world.prosecutor)
    assert _lists(client) == {"incoming": 1, "outgoing": 0}
    _sign_out(client)
    login(world.auditor)
    assert _lists(client) == {}
