"""The photo section of the item page: thumbnails, and the upload form for those who may add."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from custody.extensions import db
from custody.models import Photo
from custody.services import photos
from tests.factories import image_bytes


@pytest.fixture
def handler(make):
    return make.user("handler")


@pytest.fixture
def item(make, handler):
    return make.items(handler, make.case(handler), 1)[0]


def _post_photo(client, post_form, code: str, data: bytes, filename: str = "photo.jpg"):
    """Post the item page's form, and open the page it redirects to (with the flashed message)."""
    page = f"/items/{code}"
    response = post_form(page, {"file": (io.BytesIO(data), filename)}, to=f"/items/{code}/photos")
    assert response.status_code == 302 and response.location == f"{page}#photos"
    return client.get(page)


def test_a_handler_uploads_a_photo_and_sees_its_thumbnail(client, login, post_form, handler, item):
    login(handler)
    page = client.get(f"/items/{item.code}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'accept="image/jpeg,image/png,image/webp"' in page

    data = image_bytes("PNG", size=(400, 300))
    response = _post_photo(client, post_form, item.code, data, filename="scan.png")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    sha = hashlib.sha256(data).hexdigest()
    assert 'class="flash ok"' in html
    assert f'src="/api/v1/items/{item.code}/photos/{sha}/thumbnail"' in html
    assert f'href="/api/v1/items/{item.code}/photos/{sha}"' in html
    thumbnail = client.get(f"/api/v1/items/{item.code}/photos/{sha}/thumbnail")  # the session cookie signs it in
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    thumbnail.close()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("GIF"), "This file is not a JPEG, PNG or WebP picture."),
        (b"plain text called photo.jpg", "This file is not a JPEG, PNG or WebP picture."),
        (image_bytes("JPEG", size=(200, 200))[:-300], "The picture is damaged or incomplete."),
    ],
)
def test_a_bad_file_comes_back_as_a_readable_message_and_nothing_is_stored(
    client, login, post_form, handler, item, data, expected
):
    login(handler)
    english = {"Accept-Language": "en"}  # the message is chosen when flashed, in the language of the upload
    sent = {"file": (io.BytesIO(data), "photo.jpg")}
    response = post_form(f"/items/{item.code}", sent, to=f"/items/{item.code}/photos", headers=english)
    assert response.status_code == 302
    html = client.get(f"/items/{item.code}", headers=english).get_data(as_text=True)
    assert f'<p class="flash error" role="alert">{expected}</p>' in html
    assert db.session.scalar(select(func.count(Photo.id))) == 0


def test_the_same_photo_twice_is_refused_with_a_message(client, login, post_form, handler, item):
    login(handler)
    data = image_bytes("JPEG")
    _post_photo(client, post_form, item.code, data)
    html = _post_photo(client, post_form, item.code, data).get_data(as_text=True)
    assert 'class="flash error"' in html
    assert db.session.scalar(select(func.count(Photo.id))) == 1


def test_an_upload_without_a_file_asks_for_one(client, login, post_form, handler, item):
    login(handler)
    response = post_form(f"/items/{item.code}", {}, to=f"/items/{item.code}/photos")
    assert response.status_code == 302
    assert 'class="flash error"' in client.get(f"/items/{item.code}").get_data(as_text=True)


def test_the_form_needs_its_csrf_token(client, login, handler, item):
    login(handler)
    response = client.post(f"/items/{item.code}/photos", data={"file": (io.BytesIO(image_bytes("JPEG")), "a.jpg")})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Photo.id))) == 0


def test_an_auditor_sees_photos_but_no_upload_form(client, login, make, handler, item):
    photos.add_photo(handler, item.code, image_bytes("JPEG"))
    login(make.user("auditor"))
    html = client.get(f"/items/{item.code}").get_data(as_text=True)
    assert 'id="photos"' in html and "/thumbnail" in html
    assert 'name="file"' not in html


def test_another_agency_cannot_upload_to_an_item_it_cannot_see(client, login, post_form, make, handler, item):
    stranger = make.user("handler")
    own = make.items(stranger, make.case(stranger), 1)[0]
    login(stranger)
    response = post_form(
        f"/items/{own.code}", {"file": (io.BytesIO(image_bytes("JPEG")), "a.jpg")}, to=f"/items/{item.code}/photos"
    )
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(Photo.id))) == 0


def test_an_upload_over_the_request_limit_gets_a_page_saying_so(
    client, login, post_form, handler, item, app, monkeypatch
):
    login(handler)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    big = image_bytes("JPEG") + b"\0" * 100 * 1024
    response = post_form(
        f"/items/{item.code}",
        {"file": (io.BytesIO(big), "a.jpg")},
        to=f"/items/{item.code}/photos",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 413 and "The upload is too large." in response.get_data(as_text=True)
