"""The handover receipt read back as a person and a phone would: its text, its pages, its QR code, its bytes."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

import pypdf
import pytest
from reportlab.pdfbase import pdfmetrics

from custody.documents.receipt import render
from custody.documents.receipt_content import Receipt, ReceiptLine, Signature
from custody.documents.receipt_layout import COLUMNS, FOOTER, MARGIN, PAD, SIZE
from tests.documents.pdfcheck import fonts, page_sizes_mm, qr_payloads, text

URL = "http://custody.test/verify/H7K2M9QAB"
NAMES = [
    "黄金手镯",
    "iPhone 15 Pro Max 256GB 黑色 屏幕碎裂 附充电器与保护壳一个",
    "现金人民币 壹万贰仟元整（100元面额120张）",
    "Lenovo ThinkPad X1 Carbon laptop with charger",
]
CATEGORIES = ["valuables", "electronics", "cash", "electronics", "documents"]


def signed(name: str, username: str, agency: str, hour: int) -> Signature:
    return Signature(name, username, agency, datetime(2026, 12, 6, hour, 3, 22, 123456, tzinfo=UTC))


def line(i: int, **changes: object) -> ReceiptLine:
    base = ReceiptLine(
        code=f"I{i:08d}X",
        name=NAMES[i % len(NAMES)],
        category=CATEGORIES[i % len(CATEGORIES)],
        quantity=["1.000", "12000.00", "2"][i % 3],
        unit=["个", "元", "部"][i % 3],
        features="银色，序列号 C02XK" if i % 2 else None,
        seal_no=f"FT{i:06d}" if i % 3 else None,
        location=f"L{i:07d}" if i % 4 else None,
        moves=i % 5 == 0,
        state="accepted",
        reason=None,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def receipt(n: int = 3, **changes: object) -> Receipt:
    base = Receipt(
        number="H7K2M9QAB",
        case_no="公(刑)立字〔2026〕1234号",
        case_title="张某某盗窃案",
        from_agency="北京市公安局朝阳分局 (POL1)",
        to_agency="北京市朝阳区人民检察院 (PRO1)",
        kind="prosecution_review",
        status="accepted",
        reason=None,
        requested=signed("张三", "zhangsan", "POL1", 1),
        approved=signed("李四", "lisi", "POL1", 2),
        checked=signed("王五", "wangwu", "CTR1", 3),
        decided=signed("赵六", "zhaoliu", "PRO1", 5),
        lines=tuple(line(i) for i in range(n)),
        decision_seq=1234,
        decision_hash="0123456789abcdef" * 4,
        verify_url=URL,
        timezone="Asia/Shanghai",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def flat(pdf: bytes) -> str:
    """The text without white space: wrapped lines and cell boundaries do not matter."""
    return re.sub(r"\s+", "", text(pdf))


def test_sixty_items_over_several_pages_each_marked_page_x_of_n() -> None:
    r = receipt(60)
    pdf = render(r)
    pages = page_texts(pdf)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} / {len(pages)} 页" in page and f"Page {number} / {len(pages)}" in page
        assert "H7K2M9QAB" in page  # every page names its handover
    printed = text(pdf)
    assert "移交清单" in pages[0] and "Transfer receipt" in pages[0]
    assert r.number in printed and r.case_no in printed and "张某某盗窃案" in printed
    squeezed = flat(pdf)
    assert all(item.code in squeezed for item in r.lines)
    assert page_sizes_mm(pdf) == [(297.0, 210.0)] * len(pages)  # A4 landscape
    assert "STSong-Light" in fonts(pdf)  # reportlab's built-in CID font: Chinese in any PDF viewer
    _assert_inside_pages(pdf)


def test_the_qr_code_decodes_to_the_verification_url() -> None:
    pages = qr_payloads(render(receipt(40)))
    assert pages[0] == [URL]
    assert all(found == [] for found in pages[1:])


def test_the_same_receipt_gives_the_same_bytes_and_no_clock_in_them() -> None:
    r = receipt(30)
    pdf = render(r)
    assert pdf == render(dataclasses.replace(r, lines=tuple(r.lines)))
    assert pdf != render(dataclasses.replace(r, decision_hash="f" * 64))
    assert datetime.now().strftime("%Y%m%d").encode() not in pdf  # no date of rendering anywhere


def test_head_says_what_the_handover_was_in_both_languages() -> None:
    printed = text(render(receipt(3, status="partially_accepted")))
    assert "北京市公安局朝阳分局 (POL1) → 北京市朝阳区人民检察院 (PRO1)" in printed
    assert "移送审查起诉 Prosecution review" in printed
    assert "部分接收 Partially accepted" in printed
    assert "日期 Date 2026-12-06" in printed
    assert "Asia/Shanghai (UTC+08:00)" in printed
    assert URL in printed


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("prosecution_review", "移送审查起诉 Prosecution review"),
        ("supplementary_investigation", "退回补充侦查 Supplementary investigation"),
        ("indictment", "提起公诉 Indictment"),
        ("appeal", "上诉移送 Appeal"),
        ("transfer", "移送管辖 Transfer of jurisdiction"),
    ],
)
def test_every_kind_is_named_in_chinese_and_english(kind: str, name: str) -> None:
    assert name in text(render(receipt(1, kind=kind)))


def test_item_rows_carry_every_column() -> None:
    r = receipt(
        1,
        lines=(
            line(0, name="黄金手镯", category="valuables", quantity="2.500", unit="克", seal_no="FT000009", moves=True),
            line(1, location="L0000001", features="刻有“平安”字样"),
        ),
    )
    squeezed = flat(render(r))
    for expected in ["黄金手镯", "贵重物品Valuables", "2.5克", "FT000009", "随案Moves", "接收Accepted"]:
        assert expected in squeezed, expected
    for expected in ["电子设备Electronics", "12000元", "L0000001", "刻有“平安”字样", "留存Stays"]:
        assert expected in squeezed, expected


def test_totals_steps_ledger_entry_and_signature_lines() -> None:
    lines = (
        line(0, moves=True),
        line(1, moves=True, state="rejected", reason="与本案无关"),
        line(2),
        line(3),
    )
    pdf = render(receipt(status="partially_accepted", lines=lines))
    printed = text(pdf)
    assert "物品 Items 4" in printed
    assert "接收 Accepted 3" in printed and "拒收 Rejected 1" in printed
    assert "随案移送 Moving with the case 1" in printed  # only accepted items move with the case
    # Times in the centre's zone, with the offset: 01:03:22 UTC is 09:03:22 in Shanghai.
    for who in [
        "申请 Requested 张三 (zhangsan) POL1 2026-12-06 09:03:22 UTC+08:00",
        "决定 Decided 赵六 (zhaoliu) PRO1",
    ]:
        assert who in printed, who
    assert "王五 (wangwu) CTR1 2026-12-06 11:03:22 UTC+08:00" in printed
    assert "#1234" in printed and "0123456789abcdef" * 4 in printed
    assert printed.count("签名（盖章）Signature (seal)") == 2
    assert "移交方 Handed over by" in printed and "接收方 Received by" in printed


def test_times_follow_the_receipts_time_zone() -> None:
    printed = text(render(receipt(1, timezone="UTC")))
    assert "2026-12-06 01:03:22 UTC+00:00" in printed and "UTC (UTC+00:00)" in printed
    late = signed("赵六", "zhaoliu", "PRO1", 23)  # 23:03 UTC is the next morning in Shanghai
    assert "日期 Date 2026-12-07" in text(render(receipt(1, decided=late)))


def test_a_step_nobody_did_is_a_dash() -> None:
    printed = text(render(receipt(1, status="rejected", reason="材料不全", checked=None)))
    assert "清点 Checked — — —" in printed


def test_a_rejected_receipt_shows_the_reasons() -> None:
    why = "证据材料不全，请补充后重新移交"
    lines = tuple(line(i, state="rejected", reason=why) for i in range(5))
    pdf = render(receipt(status="rejected", reason=why, lines=lines))
    printed = text(pdf)
    assert "已拒收 Rejected" in printed
    assert f"拒收理由 Reason {why}" in printed
    assert flat(pdf).count("拒收Rejected" + why) == 5
    assert "接收 Accepted 0" in printed and "拒收 Rejected 5" in printed


def test_a_partial_acceptance_shows_the_reason_beside_each_refused_item() -> None:
    lines = (line(0), line(1, state="rejected", reason="missing at the presence check"), line(2))
    squeezed = flat(render(receipt(status="partially_accepted", lines=lines)))
    assert "I00000001X" in squeezed and "拒收Rejected清点时缺失missingatthepresencecheck" in squeezed


def test_long_names_and_features_wrap_inside_the_page_and_are_printed_whole() -> None:
    name = "一台黑色联想笔记本电脑及其电源适配器、鼠标、电脑包和三本技术手册" * 3
    features = "Serial PF3ABC12, scratches on the lid and a cracked hinge; " * 8 + "外包装轻微破损" * 20
    unbroken = "X" * 300  # no space and no CJK: broken between any two characters
    lines = (line(0, name=name, features=features, seal_no=unbroken), *(line(i) for i in range(1, 30)))
    pdf = render(receipt(lines=lines))
    squeezed = flat(pdf)
    for whole in (name, features, unbroken):
        assert re.sub(r"\s+", "", whole) in squeezed
    assert "…" not in text(pdf)  # nothing in the table is cut short
    _assert_inside_pages(pdf)


def test_a_row_taller_than_a_page_continues_on_the_next() -> None:
    features = "封存于透明证物袋，袋上有编号及经办人签名。" * 250  # about 170 lines in its column
    r = receipt(lines=(line(0), line(1, features=features), line(2)))
    pdf = render(r)
    assert len(page_texts(pdf)) >= 3
    column = "".join(_column_text(pdf, 5)).replace("特征Features", "")
    assert re.sub(r"\s+", "", features) in column
    assert all(item.code in flat(pdf) for item in r.lines)
    assert all(page.count(r.lines[1].code) == 1 for page in _column_text(pdf, 1)[1:-1])  # continued under its code
    _assert_inside_pages(pdf)


def test_text_a_pdf_cannot_print_is_replaced_not_fatal() -> None:
    odd = line(0, name="手机\x00📱 Phone\x07", features="line one\nline two\ttabbed")
    squeezed = flat(render(receipt(lines=(odd,))))
    assert "手机Phone" in squeezed and "lineonelinetwotabbed" in squeezed


def test_an_unknown_vocabulary_word_is_printed_as_it_is() -> None:
    printed = text(render(receipt(1, kind="future_kind", lines=(line(0, category="artwork"),))))
    assert "future_kind" in printed and "artwork" in printed


def _column_text(pdf: bytes, index: int) -> list[str]:
    """Per page, the text in the table's column ``index`` between the running head and the footer (no white space)."""
    left = MARGIN + sum(column.width for column in COLUMNS[:index])
    right = left + COLUMNS[index].width
    texts = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        bottom, top = MARGIN + FOOTER, float(page.mediabox.height) - MARGIN - 20
        texts.append("".join(t for x, y, t, _font, _size in _strings(page) if left <= x < right and bottom < y < top))
    return [re.sub(r"\s+", "", t) for t in texts]


def _strings(page: Any) -> list[tuple[float, float, str, str, float]]:
    """(x, y, text, font, size) of every string the page shows, read from its operators: placing and measuring
    them needs no font files (pdfium without a Chinese font installed gives Chinese characters no box at all)."""
    fonts = {name: str(ref.get_object()["/BaseFont"]).lstrip("/") for name, ref in page["/Resources"]["/Font"].items()}
    found, font, size, x, y = [], "", 0.0, 0.0, 0.0
    for operands, operator in pypdf.generic.ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"Tf":
            font, size = fonts[operands[0]], float(operands[1])
        elif operator == b"Tm":
            x, y = float(operands[4]), float(operands[5])
        elif operator == b"Tj":
            data = bytes(getattr(operands[0], "original_bytes", operands[0]))
            found.append((x, y, data.decode("utf-16-be" if font == "STSong-Light" else "latin-1"), font, size))
    return found


def _assert_inside_pages(pdf: bytes) -> None:
    """Every string ends inside the page's margins, and every table cell's lines inside their column."""
    starts = list(accumulate((column.width for column in COLUMNS), initial=MARGIN))
    cells = {round(left + PAD, 2): right - PAD for left, right in pairwise(starts)}
    for number, page in enumerate(pypdf.PdfReader(io.BytesIO(pdf)).pages, start=1):
        width = float(page.mediabox.width)
        for x, _y, shown, font, size in _strings(page):
            end = x + pdfmetrics.stringWidth(shown, font, size)
            assert x >= MARGIN - 0.01 and end <= width - MARGIN + 0.01, (number, shown)
            if size == SIZE and round(x, 2) in cells:  # a table cell (its lines start at the column's edge)
                assert end <= cells[round(x, 2)] + 0.01, (number, shown)


def test_another_process_draws_the_same_bytes() -> None:
    """A receipt whose stored file was lost is drawn again after restarts: nothing may depend on the process."""
    script = "import hashlib, sys; from tests.documents.test_receipt import receipt, render; "
    script += "sys.stdout.write(hashlib.sha256(render(receipt(40))).hexdigest())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout == hashlib.sha256(render(receipt(40))).hexdigest()
