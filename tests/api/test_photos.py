"""POST/GET /api/v1/items/{code}/photos: multipart upload, listing, and the files with their cache headers."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.factories import image_bytes


@pytest.fixture
def handler(make):
    return make.user("handler")


@pytest.fixture
def item(make, handler):
    return make.items(handler, make.case(handler), 1)[0]


def _upload(client, code: str, data: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg"):
    # Encoded here, in memory: werkzeug's test client spools a body over 500 KB to a temporary file it never closes.
    boundary, body = encode_multipart(
        MultiDict({"file": FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)})
    )
    return client.post(
        f"/api/v1/items/{code}/photos", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _fetch(client, path: str, **headers: str):
    """GET and close: a file response holds its file open until the server (here: the test) closes it."""
    auth = getattr(client, "headers", {})
    flask_client = getattr(client, "client", client)
    response = flask_client.get(path, headers={**auth, **headers})
    response.get_data()
    response.close()
    return response


def _refused_naming_file(response, status: int = 422) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and "file" in problem["errors"]
    return problem


@pytest.mark.parametrize(("fmt", "media_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_upload_then_fetch_the_original_and_its_thumbnail(api, handler, item, fmt, media_type):
    client = api(handler)
    data = image_bytes(fmt, size=(640, 480))
    sha = hashlib.sha256(data).hexdigest()

    created = _upload(client, item.code, data)
    assert created.status_code == 201, created.get_data(as_text=True)
    photo = created.get_json()
    assert {k: photo[k] for k in ("sha256", "media_type", "size", "width", "height", "uploaded_by")} == {
        "sha256": sha,
        "media_type": media_type,
        "size": len(data),
        "width": 640,
        "height": 480,
        "uploaded_by": handler.username,
    }
    assert photo["uploaded_at"].endswith("Z")
    assert photo["url"] == f"/api/v1/items/{item.code}/photos/{sha}"
    assert photo["thumbnail_url"] == f"/api/v1/items/{item.code}/photos/{sha}/thumbnail"

    original = _fetch(client, photo["url"])
    assert original.status_code == 200 and original.data == data
    assert original.mimetype == media_type
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    assert original.headers["ETag"] == f'"{sha}"'
    cache = original.headers["Cache-Control"]
    assert "private" in cache and "public" not in cache and "max-age" in cache
    assert _fetch(client, photo["url"], **{"If-None-Match": f'"{sha}"'}).status_code == 304

    thumbnail = _fetch(client, photo["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    assert thumbnail.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(thumbnail.data)) as picture:
        assert picture.format == "JPEG" and picture.size == (320, 240)

    listed = client.get(f"/api/v1/items/{item.code}/photos").get_json()
    assert listed == {"items": [photo], "next": None}
    history = client.get(f"/api/v1/items/{item.code}/history").get_json()["entries"]
    assert history[-1]["kind"] == "item.photo_added" and history[-1]["data"]["sha256"] == sha


def test_the_content_decides_not_the_name(api, handler, item):
    response = _upload(api(handler), item.code, image_bytes("PNG"), filename="photo.txt", content_type="text/plain")
    assert response.status_code == 201 and response.get_json()["media_type"] == "image/png"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        pytest.param(image_bytes("GIF"), "photo.gif", id="gif"),
        pytest.param(b"not a picture at all\n", "photo.jpg", id="text-named-jpg"),
        pytest.param(image_bytes("JPEG", size=(200, 200))[:-300], "photo.jpg", id="truncated-jpeg"),
    ],
)
def test_not_an_intact_jpeg_png_or_webp_is_422_naming_file(api, handler, item, data, filename):
    client = api(handler)
    _refused_naming_file(_upload(client, item.code, data, filename=filename))
    assert client.get(f"/api/v1/items/{item.code}/photos").get_json()["items"] == []


def test_a_request_without_a_file_is_422_naming_file(api, handler, item):
    response = api(handler).post(f"/api/v1/items/{item.code}/photos", data={"file": "text, not a file"})
    _refused_naming_file(response)


def test_a_photo_over_the_photo_limit_is_422(api, handler, item, app, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTODY_PHOTO_MAX_MB", 1)
    problem = _refused_naming_file(_upload(api(handler), item.code, image_bytes("JPEG") + b"\0" * 1024 * 1024))
    assert problem["errors"]["file"] == ["Larger than 1 MB"]


def test_a_body_over_the_request_limit_is_a_413_problem(api, handler, item, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    response = _upload(api(handler), item.code, image_bytes("JPEG") + b"\0" * 100 * 1024)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "payload_too_large"


def test_the_same_photo_twice_is_409(api, handler, item):
    client = api(handler)
    data = image_bytes("JPEG")
    assert _upload(client, item.code, data).status_code == 201
    again = _upload(client, item.code, data)
    assert again.status_code == 409 and again.get_json()["code"] == "duplicate"


def test_another_agency_gets_404_everywhere(api, make, handler, item):
    sha = _upload(api(handler), item.code, image_bytes("JPEG")).get_json()["sha256"]
    stranger = api(make.user("handler"))
    base = f"/api/v1/items/{item.code}/photos"
    assert _upload(stranger, item.code, image_bytes("PNG")).status_code == 404
    for path in (base, f"{base}/{sha}", f"{base}/{sha}/thumbnail"):
        response = stranger.get(path)
        assert response.status_code == 404 and response.mimetype == "application/problem+json", path


def test_a_role_without_the_right_gets_403(api, make, item):
    response = _upload(api(make.user("auditor")), item.code, image_bytes("JPEG"))
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"


def test_unknown_photos_and_malformed_hashes_are_404(api, handler, item):
    client = api(handler)
    for sha in ("0" * 64, "not-a-hash", "%00"):
        response = client.get(f"/api/v1/items/{item.code}/photos/{sha}")
        assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_the_session_cookie_serves_images_to_pages(client, login, handler, item, api):
    photo = _upload(api(handler), item.code, image_bytes("JPEG")).get_json()
    login(handler)
    assert _fetch(client, photo["thumbnail_url"]).status_code == 200


def test_the_openapi_document_declares_the_upload_and_binary_responses(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    upload = doc["paths"]["/api/v1/items/{code}/photos"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    original = doc["paths"]["/api/v1/items/{code}/photos/{sha256}"]["get"]["responses"]["200"]["content"]
    assert set(original) == {"image/jpeg", "image/png", "image/webp"}
    assert original["image/png"]["schema"] == {"type": "string", "format": "binary"}
    thumbnail = doc["paths"]["/api/v1/items/{code}/photos/{sha256}/thumbnail"]["get"]["responses"]["200"]["content"]
    assert set(thumbnail) == {"image/jpeg"}


def _closing(wsgi_app):
    """Buffer and close each response, as a WSGI server does: schemathesis' transport leaves file responses open."""

    def app(environ, start_response):
        body = wsgi_app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return app


def test_real_photos_match_the_openapi_document(app, api, handler, item, monkeypatch):
    """Uploads and files of a real item, validated by schemathesis against the served document."""
    import schemathesis

    from tests.api.test_schemathesis import _isolated, problem_json

    monkeypatch.setattr(app, "wsgi_app", _isolated(_closing(app.wsgi_app)))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    auth = {"Authorization": api(handler).headers["Authorization"]}
    upload = schema["/api/v1/items/{code}/photos"]["POST"]
    for fmt in ("JPEG", "PNG", "WEBP"):
        data = image_bytes(fmt)
        case = upload.Case(path_parameters={"code": item.code}, body={"file": data}, media_type="multipart/form-data")
        response = case.call_and_validate(headers=auth, additional_checks=[problem_json])
        assert response.status_code == 201, response.text
        sha = hashlib.sha256(data).hexdigest()
        for path in ("/api/v1/items/{code}/photos/{sha256}", "/api/v1/items/{code}/photos/{sha256}/thumbnail"):
            fetch = schema[path]["GET"].Case(path_parameters={"code": item.code, "sha256": sha})
            assert fetch.call_and_validate(headers=auth, additional_checks=[problem_json]).status_code == 200
    again = upload.Case(path_parameters={"code": item.code}, body={"file": data}, media_type="multipart/form-data")
    assert again.call_and_validate(headers=auth, additional_checks=[problem_json]).status_code == 409
    listing = schema["/api/v1/items/{code}/photos"]["GET"].Case(path_parameters={"code": item.code})
    assert len(listing.call_and_validate(headers=auth).json()["items"]) == 3
