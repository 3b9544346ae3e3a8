"""Label sheet rendering (custody.documents.labels.render) for N items: wall time and peak memory.

In-process, no database and no HTTP: what POST /api/v1/labels spends once the items are
loaded. Times N item labels in one layout (median of ``--repeat`` runs, each also split into
QR encoding alone), then renders once more under tracemalloc for the peak of Python
allocations, and reports the process's peak resident size (ru_maxrss). Aim: 1,000 items
in a4-3x8 well under 3 s. ``--check`` rasterises the last sheet at 300 dpi and decodes every
QR code with zxing-cpp (needs the dev requirements; slow).

    python bench/labels_pdf.py                          # 1,000 items, a4-3x8, 3 runs
    python bench/labels_pdf.py --n 5000 --layout thermal-50x30 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import time
import tracemalloc

import _common


def labels(n: int) -> list:
    from custody.codes import CodeKind, new_code
    from custody.documents.labels import ItemLabel

    names = ["黄金手镯", "iPhone 15 Pro Max 256GB 黑色 屏幕碎裂", "现金人民币 壹万贰仟元整（100元面额120张）"]
    out = []
    for i in range(n):
        code = new_code(CodeKind.ITEM)
        out.append(
            ItemLabel(
                code, f"https://custody.example.gov.cn/s/{code}", names[i % 3], "公(刑)立字〔2026〕1234号", f"FT{i:06d}"
            )
        )
    return out


def main() -> None:
    from custody.documents.labels import LAYOUTS, Words, render
    from custody.documents.qr import encode

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000, help="item labels in the sheet")
    p.add_argument("--layout", choices=list(LAYOUTS), default="a4-3x8")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--profile", action="store_true", help="cProfile one more run; print the top functions")
    p.add_argument("--check", action="store_true", help="decode every QR code of the last sheet (zxing-cpp)")
    args = p.parse_args()

    print(f"labels_pdf: {args.n:,} item labels, layout {args.layout}, {args.repeat} runs")
    print(_common.describe())
    sheet = labels(args.n)
    words = Words(case="案号", seal="封条")
    render(sheet[:3], args.layout, words)  # warm-up: fonts, per-version QR layouts
    walls, cpus, qr_times, pdf = [], [], [], b""
    for _ in range(args.repeat):
        t = time.perf_counter()
        for label in sheet:
            encode(label.url)
        qr_times.append(time.perf_counter() - t)
        t, c = time.perf_counter(), time.process_time()
        pdf = render(sheet, args.layout, words)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    wall, cpu, qr_part = _common.median(walls), _common.median(cpus), _common.median(qr_times)
    tracemalloc.start()
    render(sheet, args.layout, words)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    pages = -(-args.n // LAYOUTS[args.layout].per_page)
    print(f"runs: {', '.join(f'{w:.3f}' for w in walls)} s; PDF {len(pdf) / 1e6:.2f} MB, {pages} pages")
    # CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns.
    print(
        f"RESULT labels_pdf layout={args.layout} n={args.n} median {wall:.3f} s wall, {cpu:.3f} s CPU "
        f"({wall / args.n * 1000:.2f} ms a label; QR encoding alone {qr_part:.3f} s); "
        f"tracemalloc peak {peak / 1e6:.1f} MB; ru_maxrss {maxrss_mb:.0f} MB"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(render, sheet, args.layout, words)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print(out.getvalue())
    if args.check:
        from tests.documents.pdfcheck import assert_labels

        assert_labels(pdf, [label.url for label in sheet], LAYOUTS[args.layout].per_page)
        print(f"check: all {args.n:,} QR codes decode to their URLs")


if __name__ == "__main__":
    main()
