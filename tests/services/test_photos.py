"""Item photos: the content decides the type, the ledger holds the hash, the file sits at its content address."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from custody import files
from custody.errors import Duplicate, Forbidden, InvalidInput, InvalidState, NotFound, WrongAgency
from custody.extensions import db
from custody.models import Item, LedgerEntry, LedgerEntryItem, Photo, User
from custody.services import photos
from tests.factories import image_bytes


@pytest.fixture
def handler(make):
    return make.user("handler")


@pytest.fixture
def item(make, handler):
    return make.items(handler, make.case(handler), 1)[0]


def _photo_entries(code: str) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .join(LedgerEntryItem, LedgerEntryItem.seq == LedgerEntry.seq)
            .where(LedgerEntryItem.item_code == code, LedgerEntry.kind == "item.photo_added")
        )
    )


def _nothing_stored() -> bool:
    photo_rows = db.session.scalar(select(func.count(Photo.id)))
    entries = db.session.scalar(select(func.count()).where(LedgerEntry.kind == "item.photo_added"))
    return photo_rows == 0 and entries == 0


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` (CRC correct) but whose data is tiny: a decompression bomb."""
    real = image_bytes("PNG", size=(8, 8))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    start = real.index(b"IHDR") - 4
    return real[:start] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + real[start + 25 :]


@pytest.mark.parametrize(("fmt", "media_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_a_photo_is_stored_at_its_content_address_and_ledgered(handler, item, fmt, media_type):
    data = image_bytes(fmt, size=(64, 48))
    added = photos.add_photo(handler, item.code, data)

    sha = hashlib.sha256(data).hexdigest()
    assert (added.sha256, added.media_type, added.photo.size) == (sha, media_type, len(data))
    assert (added.photo.width, added.photo.height, added.uploaded_by) == (64, 48, handler.username)
    assert files.path(sha).read_bytes() == data
    assert files.path(sha).relative_to(files.root()).parts == (sha[:2], sha[2:4], sha)
    [entry] = _photo_entries(item.code)
    body = json.loads(entry.body)
    assert body["data"] == {"sha256": sha, "media_type": media_type, "size": len(data), "width": 64, "height": 48}
    assert [i["code"] for i in body["items"]] == [item.code] and entry.case_no == item.case.case_no
    with Image.open(photos.thumbnail_path(handler, item.code, sha)) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) <= photos.THUMBNAIL_SIZE


def test_the_thumbnail_fits_320_pixels_and_is_made_again_when_missing(handler, item):
    added = photos.add_photo(handler, item.code, image_bytes("PNG", size=(1000, 500)))
    thumb = photos.thumbnail_path(handler, item.code, added.sha256)
    with Image.open(thumb) as picture:
        assert (picture.format, picture.size) == ("JPEG", (320, 160))
    thumb.unlink()
    again = photos.thumbnail_path(handler, item.code, added.sha256)
    with Image.open(again) as picture:
        assert (picture.format, picture.size) == ("JPEG", (320, 160))


def test_the_thumbnail_is_turned_upright_by_the_exif_orientation(handler, item):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": the camera was held upright
    data = image_bytes("JPEG", size=(80, 40), exif=exif.tobytes())
    added = photos.add_photo(handler, item.code, data)
    assert (added.photo.width, added.photo.height) == (80, 40)  # the stored file is untouched
    with Image.open(photos.thumbnail_path(handler, item.code, added.sha256)) as thumb:
        assert thumb.size == (40, 80)
        assert not thumb.getexif()  # no metadata (orientation, GPS …) in the derived file


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(image_bytes("GIF"), id="gif"),
        pytest.param(b"just some text, though the file is called photo.jpg\n", id="text"),
        pytest.param(image_bytes("JPEG", size=(200, 200))[:-300], id="truncated-jpeg"),
        pytest.param(image_bytes("PNG", size=(200, 200))[:-40], id="truncated-png"),
        pytest.param(image_bytes("JPEG")[:20], id="jpeg-header-only"),
        pytest.param(b"", id="empty"),
        pytest.param(_png_claiming(10_000, 6_000), id="60-megapixels"),
        pytest.param(_png_claiming(10_000, 10_000), id="100-megapixels"),  # Pillow warns
        pytest.param(_png_claiming(40_000, 40_000), id="1600-megapixels"),  # Pillow refuses
    ],
)
def test_anything_but_an_intact_jpeg_png_or_webp_is_refused_naming_file(handler, item, data):
    with pytest.raises(InvalidInput) as refused:
        photos.add_photo(handler, item.code, data)
    assert list(refused.value.errors) == ["file"]
    assert _nothing_stored()


def test_a_photo_over_the_size_limit_is_refused(handler, item, app, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTODY_PHOTO_MAX_MB", 1)
    data = image_bytes("JPEG") + b"\0" * (1024 * 1024)  # a valid JPEG with padding after its end
    with pytest.raises(InvalidInput) as refused:
        photos.add_photo(handler, item.code, data)
    assert refused.value.errors == {"file": ["Larger than 1 MB"]}
    assert _nothing_stored() and not files.exists(hashlib.sha256(data).hexdigest())


def test_the_same_photo_twice_on_an_item_is_a_duplicate_but_another_item_may_have_it(make, handler, item):
    data = image_bytes("JPEG")
    photos.add_photo(handler, item.code, data)
    with pytest.raises(Duplicate):
        photos.add_photo(handler, item.code, data)
    other = make.items(handler, item.case, 1)[0]
    photos.add_photo(handler, other.code, data)
    assert len(_photo_entries(item.code)) == 1 and len(_photo_entries(other.code)) == 1
    assert db.session.scalar(select(func.count(Photo.id))) == 2


def test_a_centre_keeper_may_add_photos(make, handler, item):
    keeper = make.keeper()
    added = photos.add_photo(keeper, item.code, image_bytes("WEBP"))
    assert added.uploaded_by == keeper.username
    assert [p.sha256 for p in photos.list_photos(handler, item.code)] == [added.sha256]


def test_who_may_not_add_photos(make, handler, item):
    data = image_bytes("JPEG")
    with pytest.raises(NotFound):  # another agency cannot see the item at all
        photos.add_photo(make.user("handler"), item.code, data)
    auditor = make.user("auditor")
    with pytest.raises(Forbidden):  # sees everything, changes nothing
        photos.add_photo(auditor, item.code, data)
    colleague = make.user("approver", agency=handler.agency)
    with pytest.raises(Forbidden):
        photos.add_photo(colleague, item.code, data)
    assert not photos.may_add(auditor, item) and photos.may_add(handler, item)
    assert _nothing_stored()


def test_wrong_agency_is_named_for_a_handler_who_sees_but_does_not_hold_the_case(make, handler, item):
    """Agencies that once held a case still see it (handovers come later); a handler there may not add photos."""
    former = make.user("handler", "auditor")  # an auditor sees the item; as a handler their agency does not hold it
    with pytest.raises(WrongAgency):
        photos.add_photo(former, item.code, image_bytes("JPEG"))


def test_photos_of_an_item_the_user_may_not_see_are_not_found(make, handler, item):
    added = photos.add_photo(handler, item.code, image_bytes("PNG"))
    stranger = make.user("handler")
    for read in (
        lambda: photos.list_photos(stranger, item.code),
        lambda: photos.photo_for(stranger, item.code, added.sha256),
        lambda: photos.thumbnail_path(stranger, item.code, added.sha256),
    ):
        with pytest.raises(NotFound):
            read()
    for bad in ("0" * 64, "../../etc/passwd", added.sha256.upper(), "x\x00"):
        with pytest.raises(NotFound):
            photos.photo_for(handler, item.code, bad)


def test_photos_are_listed_oldest_first(handler, item):
    first = photos.add_photo(handler, item.code, image_bytes("JPEG"))
    second = photos.add_photo(handler, item.code, image_bytes("PNG"))
    assert [p.sha256 for p in photos.list_photos(handler, item.code)] == [first.sha256, second.sha256]


def test_the_store_writes_the_same_content_once(app):
    data = b"receipt bytes"
    sha = files.put(data)
    stat = files.path(sha).stat()
    assert files.put(data) == sha == hashlib.sha256(data).hexdigest()
    assert files.path(sha).stat().st_mtime_ns == stat.st_mtime_ns and files.exists(sha)
    with files.open(sha) as fh:
        assert fh.read() == data
    with pytest.raises(ValueError):
        files.path("../" + sha[3:])


def test_a_disposed_item_takes_no_photos(make):
    """add_photo raises InvalidState once the item is disposed (its record is read-only, DESIGN §4 rule 9)."""
    from tests.services.test_dispositions import DispositionWorld

    world = DispositionWorld(make)
    gone = world.codes[0]
    photos.add_photo(world.handler, gone, image_bytes("PNG"))  # before: a photo is fine
    world.executed_disposal(items=[gone])
    for someone in (world.handler, world.keeper):
        with pytest.raises(InvalidState, match="disposed"):
            photos.add_photo(someone, gone, image_bytes("JPEG"))
    assert len(_photo_entries(gone)) == 1
    assert db.session.scalar(select(func.count(Photo.id))) == 1
    item = db.session.scalars(select(Item).where(Item.code == gone)).one()
    assert not photos.may_add(world.handler, item) and not photos.may_add(world.keeper, item)


def test_the_same_photo_sent_twice_at_once_is_stored_once(app, make, handler, item):
    """Both requests pass the "already there?" check; the unique index decides, the loser gets Duplicate."""
    from tests.services.test_concurrency import _run_together

    data = image_bytes("JPEG")
    ids = [handler.id, make.keeper().id]
    db.session.rollback()

    def work(i: int) -> str:
        return photos.add_photo(db.session.get(User, ids[i]), item.code, data).sha256

    results = _run_together(app, work, 2)
    assert sorted(type(r).__name__ for r in results) == ["Duplicate", "str"], results
    assert len(_photo_entries(item.code)) == 1
    assert db.session.scalar(select(func.count(Photo.id))) == 1
