"""Item photos: evidence pictures kept byte for byte, their SHA-256 in the ledger.

What a file *is* is decided from its content (Pillow), never from its name or the
browser's claimed type, and only JPEG, PNG and WebP are kept. The image is checked and
decoded before the database is touched, so SQLite's write lock is not held while a large
picture is decoded; the file is stored only after the permission checks (a stranger
cannot fill the disk) and before the commit (content-addressed, so an orphan left by a
failed transaction is harmless). The original is never re-encoded: its hash is the
evidence. Thumbnails are derived, made upright (EXIF orientation) and stripped of
metadata, and made again whenever one is missing.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from custody import files
from custody.errors import Duplicate, Forbidden, InvalidInput, InvalidState, NotFound, WrongAgency
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Item, ItemStatus, Photo, Role, User
from custody.services import access
from custody.services.uow import transactional

# Pillow's ``format`` → the media type served. MPO is how Pillow reads many phone cameras' JPEGs
# (a JPEG with extra preview frames): it is a JPEG to every viewer.
MEDIA_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAX_PIXELS = 50_000_000  # a 50-megapixel photo decodes to 200 MB; a "bomb" claims far more
THUMBNAIL_SIZE = 320

# The messages of ``errors["file"]``; custody.web.photos shows each in the user's language.
EMPTY = "The file is empty"
NOT_AN_IMAGE = "Not a JPEG, PNG or WebP image"
CORRUPT = "The image is damaged or incomplete"
TOO_MANY_PIXELS = f"The image has more than {MAX_PIXELS // 1_000_000} million pixels"
TOO_LARGE = "Larger than {mb} MB"


@dataclass(frozen=True)
class Picture:
    """What checking an upload found: its type, pixel size and a ready thumbnail."""

    media_type: str
    width: int
    height: int
    thumbnail: bytes


@dataclass(frozen=True)
class ItemPhoto:
    """A photo as it is shown: the row, the item's code and the uploader's username (the row holds only ids)."""

    item_code: str
    uploaded_by: str
    photo: Photo

    @property
    def sha256(self) -> str:
        return self.photo.sha256

    @property
    def media_type(self) -> str:
        return self.photo.media_type

    @property
    def uploaded_at(self) -> datetime:
        return self.photo.uploaded_at


def max_bytes() -> int:
    return int(current_app.config["CUSTODY_PHOTO_MAX_MB"]) * 1024 * 1024


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(f"The photo was not accepted: {message}", errors={"file": [message]})


def check_upload(data: bytes) -> Picture:
    """Decide the type from the content and decode the whole image (a truncated file fails here).

    Raises InvalidInput naming ``file``.
    """
    if not data:
        raise _refuse(EMPTY)
    if len(data) > max_bytes():
        raise _refuse(TOO_LARGE.format(mb=current_app.config["CUSTODY_PHOTO_MAX_MB"]))
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
    except UnidentifiedImageError:
        raise _refuse(NOT_AN_IMAGE) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow refuses (or, under warnings-as-errors, warns about) sizes far beyond ours while reading the header.
        raise _refuse(TOO_MANY_PIXELS) from None
    except Exception:  # a damaged header: Pillow raises whatever its parser hit (SyntaxError, struct.error …)
        raise _refuse(CORRUPT) from None
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise _refuse(TOO_MANY_PIXELS)
        media_type = MEDIA_TYPES.get(image.format or "")
        if media_type is None:
            raise _refuse(NOT_AN_IMAGE)
        try:
            thumbnail = _thumbnail(image)
        except Exception:  # decoding untrusted bytes: any failure means the file is damaged, never a 500
            raise _refuse(CORRUPT) from None
    return Picture(media_type, width, height, thumbnail)


def _thumbnail(image: Image.Image) -> bytes:
    """Decode fully, turn upright by the EXIF orientation, fit in 320×320, and save as a metadata-free JPEG."""
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))  # libjpeg decodes at 1/2…1/8 scale: faster
    image.load()
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:  # malformed EXIF: show the picture as stored rather than refuse a real photo over metadata
        upright = image
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    upright = upright.convert("RGBA" if has_alpha else "RGB")
    upright.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    if has_alpha:  # JPEG has no transparency: lay the picture on white, as a page shows it
        flat = Image.new("RGB", upright.size, "white")
        flat.paste(upright, mask=upright.getchannel("A"))
        upright = flat
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def may_add(user: User, item: Item) -> bool:
    """Whether ``user`` (who can see ``item``) may add a photo to it: pages show the form only then."""
    if item.status == ItemStatus.DISPOSED:
        return False
    try:
        _require_may_add(user, item)
    except Forbidden:
        return False
    return True


def _require_may_add(user: User, item: Item) -> None:
    """A keeper who can see the item (the caller checked that), or a handler of the agency holding its case."""
    if user.has_role(Role.KEEPER):
        return
    access.require_role(user, Role.HANDLER)
    if item.case.agency_id != user.agency_id:
        raise WrongAgency(f"Case {item.case.case_no} is held by {item.case.agency.code}, not {user.agency.code}")


@transactional
def add_photo(actor: User, item_code: str, data: bytes) -> ItemPhoto:
    """Attach a photo to an item and record its hash, type and size in the ledger.

    Raises InvalidInput (``file``), NotFound, Forbidden, WrongAgency, InvalidState (disposed item),
    Duplicate (the same photo is already on this item).
    """
    picture = check_upload(data)  # before any SQL: see the module's docstring
    item = access.visible_item(db.session, actor, item_code.strip().upper())
    _require_may_add(actor, item)
    # Lock the item row while it is not disposed: a disposal committing meanwhile makes this find nothing
    # (PostgreSQL re-checks the condition after waiting; SQLite has one writer at a time anyway).
    open_for_photos = db.session.scalar(
        select(Item.id).where(Item.id == item.id, Item.status != ItemStatus.DISPOSED).with_for_update()
    )
    if open_for_photos is None:
        raise InvalidState(f"Item {item.code} is disposed; its record is read-only")
    sha256 = hashlib.sha256(data).hexdigest()
    if db.session.scalar(select(Photo.id).where(Photo.item_id == item.id, Photo.sha256 == sha256)) is not None:
        raise _duplicate(item.code)
    files.put(data)
    files.put_thumbnail(sha256, THUMBNAIL_SIZE, picture.thumbnail)
    photo = Photo(
        item_id=item.id,
        sha256=sha256,
        media_type=picture.media_type,
        size=len(data),
        width=picture.width,
        height=picture.height,
        uploaded_by_id=actor.id,
    )
    db.session.add(photo)
    try:
        db.session.flush()
    except IntegrityError:  # the same photo uploaded twice at once: the unique index decides
        raise _duplicate(item.code) from None
    append(
        db.session,
        actor=actor,
        kind=EntryKind.ITEM_PHOTO_ADDED,
        case_no=item.case.case_no,
        items=[item.code],
        data={
            "sha256": sha256,
            "media_type": picture.media_type,
            "size": len(data),
            "width": picture.width,
            "height": picture.height,
        },
    )
    return ItemPhoto(item.code, actor.username, photo)


def _duplicate(code: str) -> Duplicate:
    return Duplicate(f"This photo is already on item {code}", errors={"file": ["This photo is already on the item"]})


def list_photos(user: User, code: str) -> list[ItemPhoto]:
    """The item's photos, oldest first. Raises NotFound (also for an item the user may not see)."""
    item = access.visible_item(db.session, user, code.strip().upper())
    rows = db.session.execute(
        select(Photo, User.username)
        .join(User, User.id == Photo.uploaded_by_id)
        .where(Photo.item_id == item.id)
        .order_by(Photo.uploaded_at, Photo.id)
    )
    return [ItemPhoto(item.code, username, photo) for photo, username in rows]


def photo_for(user: User, code: str, sha256: str) -> ItemPhoto:
    """One photo of an item the user may see. Raises NotFound."""
    item = access.visible_item(db.session, user, code.strip().upper())
    if not files.is_sha256(sha256):
        raise NotFound("No such photo")
    row = db.session.execute(
        select(Photo, User.username)
        .join(User, User.id == Photo.uploaded_by_id)
        .where(Photo.item_id == item.id, Photo.sha256 == sha256)
    ).one_or_none()
    if row is None:
        raise NotFound(f"No photo {sha256} on item {item.code}")
    return ItemPhoto(item.code, row[1], row[0])


def original_path(user: User, code: str, sha256: str) -> tuple[ItemPhoto, Path]:
    """The photo and its stored file. Raises NotFound (also when the file is gone from the disk)."""
    found = photo_for(user, code, sha256)
    return found, _stored(found.sha256)


def _stored(sha256: str) -> Path:
    stored = files.path(sha256)
    if not stored.is_file():
        current_app.logger.error("Photo file missing from the files directory: %s", stored)
        raise NotFound(f"The file of photo {sha256} is missing")
    return stored


def thumbnail_path(user: User, code: str, sha256: str) -> Path:
    """The photo's 320 px JPEG thumbnail, made again from the original when it is missing. Raises NotFound."""
    found = photo_for(user, code, sha256)
    thumb = files.thumbnail_path(found.sha256, THUMBNAIL_SIZE)
    if thumb.is_file():
        return thumb
    with Image.open(_stored(found.sha256), formats=["JPEG", "PNG", "WEBP"]) as image:
        return files.put_thumbnail(found.sha256, THUMBNAIL_SIZE, _thumbnail(image))
