"""Reading label PDFs back the way a scanner and a person would: rasterised pages, real QR decoding, text."""

from __future__ import annotations

import io
from collections import Counter

import pypdf
import pypdfium2 as pdfium
import zxingcpp


def qr_payloads(pdf: bytes, dpi: int = 300) -> list[list[str]]:
    """Per page, the text of every QR code found on it (sorted), read by zxing-cpp at ``dpi``."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            # Model 2 only: in zxing-cpp 3 "QRCode" is the whole family, and a Micro QR "found" in label text
            # (seen once: a phantom "3") is not something a phone would read from our labels.
            found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCodeModel2)
            pages.append(sorted(barcode.text for barcode in found))
            page.close()
        return pages
    finally:
        document.close()


def assert_labels(pdf: bytes, expected: list[str], per_page: int, dpi: int = 300) -> None:
    """Every expected payload decodes, on the page its position puts it on, and nothing else does."""
    pages = qr_payloads(pdf, dpi)
    wanted = [sorted(expected[i : i + per_page]) for i in range(0, len(expected), per_page)]
    assert len(pages) == len(wanted), f"{len(pages)} pages, expected {len(wanted)}"
    for number, (found, want) in enumerate(zip(pages, wanted, strict=True), start=1):
        missing, extra = Counter(want) - Counter(found), Counter(found) - Counter(want)
        assert not missing and not extra, f"page {number}: not decoded {sorted(missing)}, unexpected {sorted(extra)}"


def text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def fonts(pdf: bytes) -> set[str]:
    """The base font names used by the pages."""
    names: set[str] = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/"))
    return names


def page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    return [
        (round(float(p.mediabox.width) / 72 * 25.4, 1), round(float(p.mediabox.height) / 72 * 25.4, 1))
        for p in pypdf.PdfReader(io.BytesIO(pdf)).pages
    ]
