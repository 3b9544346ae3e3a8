"""The disposition record (处置清单) read back as a person and a phone would: its text, pages, QR code and bytes."""

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

import pypdf
import pytest
from reportlab.pdfbase import pdfmetrics

from custody.documents.disposition_record import COLUMNS, DispositionRecord, RecordLine, quantity_totals, render
from custody.documents.receipt_content import Signature
from custody.documents.receipt_layout import FOOTER, MARGIN, PAD, SIZE
from tests.documents.pdfcheck import fonts, page_sizes_mm, qr_payloads, text
from tests.documents.test_receipt import _strings, flat, page_texts

URL = "http://custody.test/verify/D7K2M9QAB"
NAMES = [
    "冷冻带鱼 20 箱",
    "iPhone 15 Pro Max 256GB 黑色 屏幕碎裂",
    "现金人民币 壹万贰仟元整",
    "Lenovo ThinkPad X1 Carbon",
]
CATEGORIES = ["goods", "electronics", "cash", "electronics", "valuables"]


def signed(name: str, username: str, agency: str, hour: int) -> Signature:
    return Signature(name, username, agency, datetime(2026, 12, 6, hour, 3, 22, 123456, tzinfo=UTC))


def line(i: int, **changes: object) -> RecordLine:
    base = RecordLine(
        code=f"I{i:08d}X",
        name=NAMES[i % len(NAMES)],
        category=CATEGORIES[i % len(CATEGORIES)],
        quantity=["1.000", "12000.00", "2"][i % 3],
        unit=["个", "元", "部"][i % 3],
        features="银色，序列号 C02XK" if i % 2 else None,
        seal_no=f"FT{i:06d}" if i % 3 else None,
        location=f"L{i:07d}" if i % 4 else None,
        flags=("perishable",) if i % 2 == 0 else (),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def record(n: int = 3, **changes: object) -> DispositionRecord:
    base = DispositionRecord(
        number="D7K2M9QAB",
        case_no="公(刑)立字〔2026〕1234号",
        case_title="张某某盗窃案",
        agency="北京市公安局朝阳分局 (POL1)",
        kind="return_to_owner",
        basis_doc_no="京朝公（刑）发还字〔2026〕88号",
        recipient="王某某（身份证 110105199001011234）",
        reason=None,
        requested=signed("张三", "zhangsan", "POL1", 1),
        approved=signed("李四", "lisi", "POL1", 2),
        executed=signed("王五", "wangwu", "CTR1", 3),
        lines=tuple(line(i) for i in range(n)),
        execution_seq=4321,
        execution_hash="0123456789abcdef" * 4,
        verify_url=URL,
        timezone="Asia/Shanghai",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_sixty_items_over_several_pages_each_marked_page_x_of_n() -> None:
    r = record(60)
    pdf = render(r)
    pages = page_texts(pdf)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} / {len(pages)} 页" in page and f"Page {number} / {len(pages)}" in page
        assert "D7K2M9QAB" in page and "#4321" in page  # every page names its disposition and its ledger entry
    assert "涉案财物处置清单" in pages[0] and "Disposition record" in pages[0]
    printed = text(pdf)
    assert r.case_no in printed and "张某某盗窃案" in printed
    assert all(item.code in flat(pdf) for item in r.lines)
    assert page_sizes_mm(pdf) == [(297.0, 210.0)] * len(pages)  # A4 landscape, like the receipt
    assert "STSong-Light" in fonts(pdf)
    _assert_inside_pages(pdf)


def test_the_qr_code_decodes_to_the_verification_url_on_the_first_page_only() -> None:
    pages = qr_payloads(render(record(40)))
    assert pages[0] == [URL]
    assert all(found == [] for found in pages[1:])


def test_the_same_record_gives_the_same_bytes_and_no_clock_in_them() -> None:
    r = record(30)
    pdf = render(r)
    assert pdf == render(dataclasses.replace(r, lines=tuple(r.lines)))
    assert pdf != render(dataclasses.replace(r, execution_hash="f" * 64))
    assert datetime.now().strftime("%Y%m%d").encode() not in pdf


def test_head_says_what_was_done_on_what_authority_for_whom() -> None:
    printed = text(render(record(2, reason="鉴定完毕，权属清楚")))
    assert "北京市公安局朝阳分局 (POL1)" in printed
    assert "发还 Return to owner" in printed
    assert "京朝公（刑）发还字〔2026〕88号" in printed
    assert "王某某（身份证 110105199001011234）" in printed
    assert "鉴定完毕，权属清楚" in printed
    assert "2026-12-06" in printed and "Asia/Shanghai (UTC+08:00)" in printed
    assert URL in printed


def test_no_recipient_and_no_reason_print_a_dash_and_no_reason_line() -> None:
    printed = text(render(record(1, kind="destroy", recipient=None, reason=None)))
    assert "接收人 Recipient —" in printed
    assert "处置理由" not in printed
    assert "销毁 Destruction" in printed


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("return_to_owner", "发还 Return to owner"),
        ("confiscate", "没收上缴 Confiscation"),
        ("auction", "拍卖 Auction"),
        ("destroy", "销毁 Destruction"),
        ("transfer_out", "移送 Transfer out"),
        ("early_sale", "先行处置（变卖） Early sale"),
    ],
)
def test_every_kind_is_named_in_chinese_and_english(kind: str, name: str) -> None:
    assert name in text(render(record(1, kind=kind)))


def test_item_rows_carry_every_column() -> None:
    lines = (
        line(
            0, name="冷冻带鱼", category="goods", quantity="2.500", unit="箱", seal_no="FT000009", location="L0000007"
        ),
        line(1, features="刻有“平安”字样", flags=("high_value", "fragile")),
    )
    squeezed = flat(render(record(lines=lines)))
    for expected in ["冷冻带鱼", "一般物品Goods", "2.5箱", "FT000009", "L0000007", "易腐Perishable"]:
        assert expected in squeezed, expected
    for expected in ["电子设备Electronics", "12000元", "刻有“平安”字样", "贵重Highvalue", "易碎Fragile"]:
        assert expected in squeezed, expected


def test_totals_count_the_items_and_sum_the_quantities_per_unit() -> None:
    lines = (
        line(0, quantity="1.000", unit="箱"),
        line(1, quantity="2.500", unit="箱"),
        line(2, quantity="3", unit="部"),
    )
    assert "物品 Items 3" in text(render(record(lines=lines)))
    assert quantity_totals(lines) == "3.5 箱, 3 部"
    assert quantity_totals((line(0, quantity="n/a", unit="批"),)) == "n/a 批"


def test_steps_ledger_entry_and_three_signature_lines() -> None:
    printed = text(render(record(2)))
    # Times in the centre's zone with the offset: 01:03:22 UTC is 09:03:22 in Shanghai.
    assert "申请 Requested 张三 (zhangsan) POL1 2026-12-06 09:03:22 UTC+08:00" in printed
    assert "批准 Approved 李四 (lisi) POL1 2026-12-06 10:03:22 UTC+08:00" in printed
    assert "执行 Executed 王五 (wangwu) CTR1 2026-12-06 11:03:22 UTC+08:00" in printed
    assert "#4321" in printed and "0123456789abcdef" * 4 in printed
    assert printed.count("签名（盖章）Signature (seal)") == 3
    for side in ("处置单位 Disposing agency", "保管单位 Released by (keeper)", "接收人 Received by"):
        assert side in printed


def test_times_follow_the_records_time_zone() -> None:
    printed = text(render(record(1, timezone="UTC")))
    assert "2026-12-06 03:03:22 UTC+00:00" in printed and "UTC (UTC+00:00)" in printed
    late = signed("王五", "wangwu", "CTR1", 23)  # 23:03 UTC is the next morning in Shanghai
    assert "2026-12-07" in text(render(record(1, executed=late)))


def test_long_names_and_features_wrap_inside_the_page_and_are_printed_whole() -> None:
    name = "一台黑色联想笔记本电脑及其电源适配器、鼠标、电脑包和三本技术手册" * 3
    features = "Serial PF3ABC12, scratches on the lid and a cracked hinge; " * 8 + "外包装轻微破损" * 20
    unbroken = "X" * 300
    lines = (line(0, name=name, features=features, seal_no=unbroken), *(line(i) for i in range(1, 30)))
    pdf = render(record(lines=lines))
    squeezed = flat(pdf)
    for whole in (name, features, unbroken):
        assert re.sub(r"\s+", "", whole) in squeezed
    _assert_inside_pages(pdf)


def test_a_row_taller_than_a_page_continues_on_the_next() -> None:
    features = "封存于透明证物袋，袋上有编号及经办人签名。" * 250
    r = record(lines=(line(0), line(1, features=features), line(2)))
    pdf = render(r)
    assert len(page_texts(pdf)) >= 3
    column = "".join(_column_text(pdf, 5)).replace("特征Features", "")
    assert re.sub(r"\s+", "", features) in column
    assert all(item.code in flat(pdf) for item in r.lines)
    assert all(page.count(r.lines[1].code) == 1 for page in _column_text(pdf, 1)[1:-1])  # continued under its code
    _assert_inside_pages(pdf)


def test_text_a_pdf_cannot_print_and_unknown_words_are_not_fatal() -> None:
    odd = line(0, name="手机\x00📱 Phone\x07", category="artwork", flags=("glowing",))
    pdf = render(record(kind="future_kind", lines=(odd,)))
    squeezed = flat(pdf)
    assert "手机Phone" in squeezed and "artwork" in squeezed and "glowing" in squeezed
    assert "future_kind" in text(pdf)


def _column_text(pdf: bytes, index: int) -> list[str]:
    """Per page, the text in the table's column ``index`` between the running head and the footer (no white space)."""
    left = MARGIN + sum(column.width for column in COLUMNS[:index])
    right = left + COLUMNS[index].width
    texts = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        bottom, top = MARGIN + FOOTER, float(page.mediabox.height) - MARGIN - 20
        texts.append("".join(t for x, y, t, _font, _size in _strings(page) if left <= x < right and bottom < y < top))
    return [re.sub(r"\s+", "", t) for t in texts]


def _assert_inside_pages(pdf: bytes) -> None:
    """Every string ends inside the page's margins, and every table cell's lines inside their column."""
    starts = list(accumulate((column.width for column in COLUMNS), initial=MARGIN))
    cells = {round(left + PAD, 2): right - PAD for left, right in pairwise(starts)}
    for number, page in enumerate(pypdf.PdfReader(io.BytesIO(pdf)).pages, start=1):
        width = float(page.mediabox.width)
        for x, _y, shown, font, size in _strings(page):
            end = x + pdfmetrics.stringWidth(shown, font, size)
            assert x >= MARGIN - 0.01 and end <= width - MARGIN + 0.01, (number, shown)
            if size == SIZE and round(x, 2) in cells:
                assert end <= cells[round(x, 2)] + 0.01, (number, shown)


def test_another_process_draws_the_same_bytes() -> None:
    """A record whose stored file was lost is drawn again after restarts: nothing may depend on the process."""
    script = "import hashlib, sys; from tests.documents.test_disposition_record import record, render; "
    script += "sys.stdout.write(hashlib.sha256(render(record(40))).hexdigest())"
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout == hashlib.sha256(render(record(40))).hexdigest()
