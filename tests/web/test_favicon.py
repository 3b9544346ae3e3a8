"""The site's icon: linked from every page, and found by browsers that ask for /favicon.ico on their own."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from custody.web.headers import CONTENT_SECURITY_POLICY


def test_favicon_ico_leads_to_the_icon_without_signing_in(client: Any) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    with client.get(response.headers["Location"]) as icon:  # a static file: close what it opened
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml"
        assert ET.fromstring(icon.get_data()).tag == "{http://www.w3.org/2000/svg}svg"  # noqa: S314 - our own file


def test_every_page_links_the_icon(client: Any, login: Any, make: Any) -> None:
    signed_out = client.get("/login").get_data(as_text=True)
    login(make.keeper())
    signed_in = client.get("/").get_data(as_text=True)
    for page in (signed_out, signed_in):
        link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
        assert link and link.group(1) == "/static/favicon.svg"


def test_the_policy_lets_the_page_load_its_own_icon() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert "'self'" in directives["img-src"].split()
