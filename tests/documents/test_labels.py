"""Label sheets, read back as a scanner and a person would: every QR code on every page decodes to its URL."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from custody.documents import qr
from custody.documents.labels import LAYOUTS, ItemLabel, LocationLabel, Words, render
from tests.documents.pdfcheck import assert_labels, fonts, page_sizes_mm, text

BASE = "http://custody.test"
WORDS = Words(case="案号", seal="封条", kinds={"warehouse": "仓库", "zone": "库区", "shelf": "货架", "bin": "货格"})
NAMES = [
    "黄金手镯",
    "iPhone 15 Pro Max 256GB 黑色 屏幕碎裂 附充电器与保护壳一个",
    "现金人民币 壹万贰仟元整（100元面额120张）",
]


def items(n: int, prefix: str = "I") -> list[ItemLabel]:
    return [
        ItemLabel(
            code=f"{prefix}{i:08d}X",
            url=f"{BASE}/s/{prefix}{i:08d}X",
            name=NAMES[i % len(NAMES)],
            case_no=f"公(刑)立字〔2026〕{1000 + i}号",
            seal_no=f"FT{i:06d}" if i % 2 else None,
        )
        for i in range(n)
    ]


LOCATIONS = [
    LocationLabel("L7K2M9QA", f"{BASE}/s/L7K2M9QA", "3号货架", "shelf", ("一号仓库", "A区 贵重物品", "3号货架")),
    LocationLabel("A-01-03", f"{BASE}/s/A-01-03", "Bin 3 of shelf A-01", "bin", ("Main warehouse", "Zone A", "Bin 3")),
]

# (layout, labels on a page, items: enough for two pages of a sheet, three thermal labels)
SHEETS = [("a4-3x8", 24, 30), ("a4-2x5", 10, 12), ("thermal-50x30", 1, 3), ("thermal-70x40", 1, 3)]


@pytest.mark.parametrize(("layout", "per_page", "n"), SHEETS)
def test_every_label_in_every_layout_decodes_to_its_url(layout: str, per_page: int, n: int) -> None:
    labels = [*items(n), *LOCATIONS]
    pdf = render(labels, layout, WORDS)
    assert_labels(pdf, [label.url for label in labels], per_page)


@pytest.mark.parametrize("layout", ["thermal-50x30", "thermal-70x40"])
def test_thermal_labels_decode_at_a_thermal_printers_resolution(layout: str) -> None:
    labels = [*items(2), LOCATIONS[0]]
    assert_labels(render(labels, layout, WORDS), [label.url for label in labels], 1, dpi=203)


def test_long_base_urls_still_decode_on_the_smallest_label() -> None:
    base = "https://custody-centre.procuratorate.example.gov.cn/property"
    labels = [ItemLabel(f"I{i:08d}X", f"{base}/s/I{i:08d}X", "手机", "CASE-1") for i in range(2)]
    assert_labels(render(labels, "thermal-50x30"), [label.url for label in labels], 1)


@pytest.mark.parametrize(
    ("layout", "size"),
    [("a4-3x8", (210, 297)), ("a4-2x5", (210, 297)), ("thermal-50x30", (50, 30)), ("thermal-70x40", (70, 40))],
)
def test_page_sizes(layout: str, size: tuple[int, int]) -> None:
    layout_pages = 2 if LAYOUTS[layout].per_page == 1 else 1
    assert page_sizes_mm(render(items(2), layout)) == [size] * layout_pages


def test_text_carries_codes_names_case_and_seal_numbers_in_chinese() -> None:
    labels = [*items(6), *LOCATIONS]
    pdf = render(labels, "a4-2x5", WORDS)
    printed = text(pdf)
    for label in labels:
        assert label.code in printed.replace("\n", "")
    assert "黄金手镯" in printed
    assert "案号 公(刑)立字〔2026〕1000号" in printed
    assert "封条 FT000001" in printed
    assert "货架" in printed and "一号仓库 › A区 贵重物品 › 3号货架" in printed
    assert "STSong-Light" in fonts(pdf)  # reportlab's built-in CID font: Chinese renders in any PDF viewer
    assert "Courier-Bold" in fonts(pdf)


def test_the_same_labels_give_the_same_bytes() -> None:
    labels = [*items(5), *LOCATIONS]
    assert render(labels, "a4-3x8", WORDS) == render(list(labels), "a4-3x8", WORDS)
    assert render(labels, "a4-3x8", WORDS) != render(labels[:-1], "a4-3x8", WORDS)


def test_text_too_long_for_a_label_is_shrunk_wrapped_and_cut_inside_it() -> None:
    long = ItemLabel(
        "A-01-03-CUSTOM-LOCATION-CODE-OF-FORTY",
        f"{BASE}/s/I00000001X",
        "一台黑色联想笔记本电脑及其电源适配器、鼠标、电脑包和三本技术手册" * 3,
        "（2026）京0105刑初字第000123号之一" * 2,
        "FT-2026-000123-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    )
    deep = LocationLabel("L7K2M9QA", f"{BASE}/s/L7K2M9QA", "货格" * 20, "bin", tuple(f"第{i}层 " * 6 for i in range(8)))
    pdf = render([long, deep], "thermal-50x30", WORDS)
    assert_labels(pdf, [long.url, deep.url], 1)
    document = pdfium.PdfDocument(pdf)
    for page in document:
        width, height = page.get_size()
        chars = page.get_textpage()
        assert chars.count_chars() > 20
        for i in range(chars.count_chars()):
            left, bottom, right, top = chars.get_charbox(i)
            if right > left:  # spaces and line ends have no box
                assert left > 0 and right < width and bottom > 0 and top < height, (i, chars.get_text_range(i, 1))
    assert "…" in text(pdf)


def test_unknown_layout_and_no_labels_are_refused() -> None:
    with pytest.raises(KeyError):
        render(items(1), "a5-1x1")
    with pytest.raises(ValueError, match="No labels"):
        render([], "a4-3x8")


@pytest.mark.parametrize(
    "payload",
    [
        "http://custody.test/s/I00000001X",  # version 3
        "https://custody-centre.example.gov.cn/s/L7K2M9QA",  # version 4
        "HTTP://CUSTODY.TEST/S/A-01-03",  # alphanumeric mode
        "1234567890" * 4,  # numeric mode
        "涉案财物" * 12,  # bytes (UTF-8)
        "https://example.gov.cn/" + "x" * 140,  # version 8: has version information
        "x" * 400,  # version 14: length fields of versions 10-26
    ],
)
def test_symbols_are_the_ones_qrcode_builds_with_the_chosen_mask(payload: str) -> None:
    """The fast encoder places, masks and formats exactly as ``qrcode`` does; only choosing the mask is quicker."""
    symbol = qr.encode(payload)
    reference = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    reference.add_data(payload)
    reference.best_fit()
    assert reference.version == symbol.version
    reference.makeImpl(False, symbol.mask)
    assert tuple("".join("1" if m else "0" for m in row) for row in reference.modules) == symbol.rows


def test_the_chosen_mask_has_the_lowest_penalty() -> None:
    symbol = qr.encode("http://custody.test/s/I00000001X")
    reference = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    reference.add_data("http://custody.test/s/I00000001X")
    reference.best_fit()
    scores = []
    for mask in range(8):
        reference.makeImpl(False, mask)
        scores.append(_penalty(["".join("1" if m else "0" for m in row) for row in reference.modules]))
    assert scores[symbol.mask] == min(scores)


def _penalty(rows: list[str]) -> int:
    """ISO/IEC 18004 §7.8.3, written plainly."""
    import re

    n = len(rows)
    columns = ["".join(row[c] for row in rows) for c in range(n)]
    score = 0
    for line in rows + columns:
        score += sum(len(run) - 2 for run in re.findall("0{5,}|1{5,}", line))
        score += 40 * (line.count("10111010000") + line.count("00001011101"))
    score += 3 * sum(
        rows[r][c] == rows[r][c + 1] == rows[r + 1][c] == rows[r + 1][c + 1] for r in range(n - 1) for c in range(n - 1)
    )
    dark = sum(row.count("1") for row in rows)
    return score + 10 * (abs(dark * 100 - 50 * n * n) // (5 * n * n))
