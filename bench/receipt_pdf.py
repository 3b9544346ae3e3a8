"""Handover receipt rendering (custody.documents.receipt.render) for N items: wall time and peak memory.

In-process, no database and no HTTP: what GET /api/v1/handovers/{number}/receipt.pdf spends
drawing once the handover is loaded. Each size runs in a fresh Python subprocess, so that its
peak resident size (ru_maxrss) is its own: the child builds a ``Receipt`` of N realistic lines
(Chinese and English names, features of varying length, seal numbers, shelves, some items
refused with a reason, some moving with the case), renders it once to warm up, records
ru_maxrss, then renders ``--repeat`` times (median wall and CPU time) and records ru_maxrss
again: the difference is what rendering adds on top of the data it is given. ``--tracemalloc``
renders once more under tracemalloc for the peak of Python allocations (several times slower).
Aim (the receipts issue): 10,000 items in at most 10 s, 1,000 proportionally, bounded memory.
``--check`` reads the last PDF back: every item code in its text, every page marked "x / N",
the QR code decoding to the verification URL (needs the dev requirements).

    python bench/receipt_pdf.py                         # 1,000 and 10,000 items, 3 runs each
    python bench/receipt_pdf.py --sizes 50000 --repeat 1 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import re
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import _common

NAMES = [
    "黄金手镯",
    "iPhone 15 Pro Max 256GB 黑色 屏幕碎裂",
    "现金人民币 壹万贰仟元整（100元面额120张）",
    "Lenovo ThinkPad X1 Carbon 笔记本电脑 Laptop",
    "银行卡 Bank card（中国工商银行，尾号 4821）",
    "机动车行驶证及钥匙一把",
]
FEATURES = [
    None,
    "银色，序列号 C02XK3ABMD6T，屏幕左上角有裂痕",
    "scratches on the lid, serial PF3ABC12, charger included",
    "封存于透明证物袋，袋上有编号及经办人签名；外包装轻微破损，内有发票一张、保修卡一张、说明书一本。",
]
CATEGORIES = ["valuables", "electronics", "cash", "electronics", "documents", "vehicle", "goods"]
UNITS = [("1", "个"), ("12000.00", "元"), ("2", "部"), ("35.5", "克"), ("1", "台")]
REASONS = ["与本案无关 Not related to this case", "missing at the presence check", "封条破损，需重新核对"]


def receipt(n: int) -> Any:
    """A decided handover of ``n`` items, as the service would gather it (fixed seed: the same text each run)."""
    from custody.codes import CodeKind, new_code
    from custody.documents.receipt_content import Receipt, ReceiptLine, Signature

    rng = random.Random(n)
    at = datetime(2026, 12, 6, 1, 3, 22, tzinfo=UTC)
    lines = []
    for i in range(n):
        refused = rng.random() < 0.05
        quantity, unit = UNITS[i % len(UNITS)]
        lines.append(
            ReceiptLine(
                code=new_code(CodeKind.ITEM),
                name=NAMES[i % len(NAMES)],
                category=CATEGORIES[i % len(CATEGORIES)],
                quantity=quantity,
                unit=unit,
                features=FEATURES[rng.randrange(len(FEATURES))],
                seal_no=f"FT-2026-{i:06d}" if rng.random() < 0.8 else None,
                location=f"L{rng.randrange(10**6):06d}X",
                moves=rng.random() < 0.1,
                state="rejected" if refused else "accepted",
                reason=rng.choice(REASONS) if refused else None,
            )
        )

    def signed(name: str, username: str, agency: str, hours: int) -> Signature:
        return Signature(name, username, agency, at + timedelta(hours=hours))

    return Receipt(
        number="H7K2M9QAB",
        case_no="公(刑)立字〔2026〕1234号",
        case_title="张某某等人诈骗案 Fraud by Zhang and others",
        from_agency="北京市公安局朝阳分局 (POL1)",
        to_agency="北京市朝阳区人民检察院 (PRO1)",
        kind="prosecution_review",
        status="partially_accepted",
        reason=None,
        requested=signed("张三", "zhangsan", "POL1", 0),
        approved=signed("李四", "lisi", "POL1", 1),
        checked=signed("王五", "wangwu", "CTR1", 2),
        decided=signed("赵六", "zhaoliu", "PRO1", 26),
        lines=tuple(lines),
        decision_seq=123456,
        decision_hash="9f2c" * 16,
        verify_url="https://custody.example.gov.cn/verify/H7K2M9QAB",
        timezone="Asia/Shanghai",
    )


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(args: argparse.Namespace) -> None:
    """One size, measured in this (fresh) process; prints one JSON line."""
    from custody.documents.receipt import render

    data = receipt(args.child)
    render(receipt(3))  # warm-up: fonts, the QR layout, caches
    base = maxrss_mb()
    walls, cpus, pdf = [], [], b""
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        pdf = render(data)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    peak = maxrss_mb()
    traced = None
    if args.tracemalloc:
        tracemalloc.start()
        render(data)
        traced = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(render, data)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print(out.getvalue(), file=sys.stderr)
    result = {"n": args.child, "walls": walls, "cpus": cpus, "base": base, "peak": peak, "traced": traced}
    result |= {"bytes": len(pdf), "pages": len(re.findall(rb"/Type /Page\b(?!s)", pdf))}
    result["check"] = check(data, pdf) if args.check else None
    print(json.dumps(result))


def check(data: Any, pdf: bytes) -> str:
    from tests.documents.pdfcheck import qr_payloads, text

    printed = text(pdf).replace("\n", "")
    missing = [line.code for line in data.lines if line.code not in printed]
    assert not missing, f"{len(missing)} codes not in the text, e.g. {missing[:3]}"
    pages = qr_payloads(pdf, dpi=150)
    assert pages[0] == [data.verify_url], pages[0]
    assert all(f"第 {i} / {len(pages)} 页" in printed for i in range(1, len(pages) + 1))
    return f"check: {len(data.lines):,} codes in the text, {len(pages)} pages marked, QR decodes"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="items per receipt")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--tracemalloc", action="store_true", help="one more run under tracemalloc (slow)")
    p.add_argument("--profile", action="store_true", help="cProfile one more run; print the top functions")
    p.add_argument("--check", action="store_true", help="read the last PDF back (text, page markers, QR)")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return

    print(f"receipt_pdf: {', '.join(f'{n:,}' for n in args.sizes)} items, {args.repeat} runs each, a process each")
    print(_common.describe())
    flags = [f for f in ("tracemalloc", "profile", "check") if getattr(args, f)]
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(n), "--repeat", str(args.repeat), *(f"--{f}" for f in flags)]
        done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        wall, cpu = _common.median(r["walls"]), _common.median(r["cpus"])
        traced = f"; tracemalloc peak {r['traced']:.1f} MB" if r["traced"] is not None else ""
        print(f"runs: {', '.join(f'{w:.3f}' for w in r['walls'])} s; PDF {r['bytes'] / 1e6:.2f} MB, {r['pages']} pages")
        # CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns.
        print(
            f"RESULT receipt_pdf n={n} median {wall:.3f} s wall, {cpu:.3f} s CPU "
            f"({wall / n * 1000:.3f} ms an item); ru_maxrss {r['peak']:.0f} MB "
            f"({r['peak'] - r['base']:.0f} MB above the {r['base']:.0f} MB before rendering){traced}"
        )
        if r["check"]:
            print(r["check"])


if __name__ == "__main__":
    main()
