"""QR symbols as module matrices, fast enough to label thousands of items in one sheet.

``qrcode`` splits the text into segments and knows the standard's tables (versions,
block structure, function patterns, format bits, masks), but building a symbol with
``make()`` takes about 5 ms in pure Python: it places the whole symbol nine times to
choose the mask, and its Reed-Solomon and bit buffer work one bit or one polynomial
term at a time (5 s for a sheet of 1,000 labels). Here each version's layout is
computed once from ``qrcode``'s own pattern functions; a symbol's codewords come from
text bit strings and a table-driven Reed-Solomon remainder, it is placed with one
``itemgetter``, each of the eight masks is an XOR of big integers, and the standard's
penalty rules (ISO/IEC 18004 §7.8.3) are evaluated on those integers with shifts and
bit counts. The result is the very matrix ``qrcode`` builds with the chosen mask (a
test compares them), in about a tenth of the time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from qrcode import QRCode, base, util
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of light margin the standard requires around a symbol
LEVEL = ERROR_CORRECT_M  # recovers ~15% damage: scuffed labels still scan, symbols stay small
_PAD = bytes([0xEC, 0x11])  # the standard's alternating pad codewords


@dataclass(frozen=True)
class Symbol:
    """A QR symbol: ``rows[r][c] == "1"`` is a dark module (quiet zone not included)."""

    version: int
    mask: int
    rows: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class _Layout:
    """What every symbol of one version shares. Module sets are integers: the first module is the highest bit."""

    size: int
    rows_of: Any  # itemgetter: source text (data bits, then function modules) → modules row by row
    cols_of: Any  # the same, column by column
    data_bits: int  # data modules, in placement order
    function: str  # function modules' values, in the order the source text lists them
    masks: tuple[tuple[int, int, int, int], ...]  # per mask: data modules it flips, format bits; rows then columns
    format_area: tuple[int, int]  # every format module and the dark module; rows then columns
    blocks: int  # modules that may start a 2×2 block (not in the last row or column)
    pairs: int  # modules followed by another in the same line (not in the last column)
    elevens: int  # modules that start 11 modules of the same line


def _blank(version: int) -> Any:
    qr: Any = QRCode(version=version, error_correction=LEVEL)
    n = qr.modules_count = version * 4 + 17
    qr.modules = [[None] * n for _ in range(n)]
    return qr


def _placement(modules: list[list[bool | None]]) -> list[tuple[int, int]]:
    """Data module positions in the order bits fill them (two-column zigzag from the bottom right)."""
    n = len(modules)
    order: list[tuple[int, int]] = []
    row, step = n - 1, -1
    for right in range(n - 1, 0, -2):
        if right <= 6:  # the vertical timing pattern's column is skipped
            right -= 1
        while 0 <= row < n:
            order.extend((row, c) for c in (right, right - 1) if modules[row][c] is None)
            row += step
        row -= step
        step = -step
    return order


def _as_ints(positions: Iterable[tuple[int, int]], n: int) -> tuple[int, int]:
    """Positions as bits of one integer, by rows and by columns."""
    by_rows = by_cols = 0
    top = n * n - 1
    for r, c in positions:
        by_rows |= 1 << (top - (r * n + c))
        by_cols |= 1 << (top - (c * n + r))
    return by_rows, by_cols


@cache
def _layout(version: int) -> _Layout:
    qr = _blank(version)
    n = qr.modules_count
    qr.setup_position_probe_pattern(0, 0)
    qr.setup_position_probe_pattern(n - 7, 0)
    qr.setup_position_probe_pattern(0, n - 7)
    qr.setup_position_adjust_pattern()
    qr.setup_timing_pattern()
    qr.setup_type_info(True, 0)  # reserves the format area (light here; each mask sets its own bits)
    if version >= 7:
        qr.setup_type_number(False)
    modules = qr.modules
    order = _placement(modules)
    fixed = [(r, c) for r in range(n) for c in range(n) if modules[r][c] is not None]
    source_index = {pos: i for i, pos in enumerate(order)}
    source_index.update({pos: len(order) + i for i, pos in enumerate(fixed)})
    masks = []
    format_area: set[tuple[int, int]] = set()
    for mask in range(8):
        fmt = _blank(version)
        fmt.setup_type_info(False, mask)
        format_area = {(r, c) for r in range(n) for c in range(n) if fmt.modules[r][c] is not None}
        flip = util.mask_func(mask)
        flip_rows, flip_cols = _as_ints(((r, c) for r, c in order if flip(r, c)), n)
        dark_rows, dark_cols = _as_ints(((r, c) for r, c in format_area if fmt.modules[r][c]), n)
        masks.append((flip_rows, dark_rows, flip_cols, dark_cols))

    def starts(width: int, rows: int) -> int:
        return _as_ints(((r, c) for r in range(rows) for c in range(n - width + 1)), n)[0]

    return _Layout(
        size=n,
        rows_of=itemgetter(*(source_index[(r, c)] for r in range(n) for c in range(n))),
        cols_of=itemgetter(*(source_index[(r, c)] for c in range(n) for r in range(n))),
        data_bits=len(order),
        function="".join("1" if modules[r][c] else "0" for r, c in fixed),
        masks=tuple(masks),
        format_area=_as_ints(format_area, n),
        blocks=starts(2, n - 1),
        pairs=starts(2, n),
        elevens=starts(11, n),
    )


class _Bits:
    """A bit buffer as text: ``QRData.write`` puts one number at a time."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def put(self, num: int, length: int) -> None:
        self.parts.append(format(num, f"0{length}b"))


def _segment_bits(segments: list[Any], version: int) -> str:
    bits = _Bits()
    for segment in segments:
        bits.put(segment.mode, 4)
        bits.put(len(segment), util.length_in_bits(segment.mode, version))
        segment.write(bits)
    return "".join(bits.parts)


def _fit(segments: list[Any]) -> tuple[int, str]:
    """The smallest version that holds the segments (length fields grow at versions 10 and 27), and their bits."""
    version = 1
    while True:
        bits = _segment_bits(segments, version)
        fits = bisect_left(util.BIT_LIMIT_TABLE[LEVEL], len(bits), version)
        if fits > 40:
            raise ValueError("Too much data for a QR code")
        if util.mode_sizes_for_version(fits) is util.mode_sizes_for_version(version):
            return fits, bits
        version = fits


@cache
def _remainders(ec_count: int) -> tuple[int, ...]:
    """For each leading byte, what one step of dividing by the generator polynomial XORs into the remainder."""
    generator = base.Polynomial([1], 0)
    for i in range(ec_count):
        generator = generator * base.Polynomial([1, base.gexp(i)], 0)
    terms = list(generator)[1:]
    table = [0]
    for factor in range(1, 256):
        log = base.glog(factor)
        table.append(int.from_bytes(bytes(base.gexp(base.glog(t) + log) if t else 0 for t in terms)))
    return tuple(table)


def _error_correction(data: bytes, ec_count: int) -> bytes:
    table = _remainders(ec_count)
    shift, full = 8 * (ec_count - 1), (1 << (8 * ec_count)) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder << 8) & full) ^ table[byte ^ (remainder >> shift)]
    return remainder.to_bytes(ec_count)


def _codewords(version: int, bits: str) -> bytes:
    """Data (terminated, padded) and error correction codewords, interleaved block by block."""
    blocks = base.rs_blocks(version, LEVEL)
    capacity = 8 * sum(block.data_count for block in blocks)
    bits += "0" * min(4, capacity - len(bits))
    bits += "0" * (-len(bits) % 8)
    data = int(bits, 2).to_bytes(len(bits) // 8) if bits else b""
    data = (data + _PAD * (capacity // 16))[: capacity // 8]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = data[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_error_correction(chunk, block.total_count - block.data_count))
    out = bytearray()
    for group in (data_blocks, ec_blocks):
        for i in range(max(len(b) for b in group)):
            out.extend(b[i] for b in group if i < len(b))
    return bytes(out)


def _line_penalty(bits: int, layout: _Layout) -> int:
    """N1 (a run of 5 or more alike: 3, +1 a module more) and N3 (finder look-alikes: 40 each) along lines."""
    # ``bits << k`` brings module i+k under module i.
    alike = ~(bits ^ (bits << 1)) & layout.pairs  # module i is like module i+1, in the same line
    five = alike & (alike << 1) & (alike << 2) & (alike << 3)  # modules i..i+4 alike
    starts = five & ~(five >> 1)  # the first of a run's windows
    score = five.bit_count() + 2 * starts.bit_count()  # a run of L has L-4 windows: L-2 in all
    shifted = [bits << k for k in range(11)]
    for pattern in ("10111010000", "00001011101"):
        found = layout.elevens
        for k, ch in enumerate(pattern):
            found &= shifted[k] if ch == "1" else ~shifted[k]
        score += 40 * found.bit_count()
    return score


def _penalty(by_rows: int, by_cols: int, layout: _Layout) -> int:
    n = layout.size
    score = _line_penalty(by_rows, layout) + _line_penalty(by_cols, layout)
    right, below = ~(by_rows ^ (by_rows << 1)), ~(by_rows ^ (by_rows << n))
    score += 3 * (right & below & (right << n) & layout.blocks).bit_count()  # N2: 2×2 blocks of one colour
    total = n * n
    score += 10 * (abs(by_rows.bit_count() * 100 - 50 * total) // (5 * total))  # N4: far from half dark
    return score


def encode(text: str) -> Symbol:
    """The symbol for ``text`` at level M in the smallest version that holds it, with the best mask.

    Raises ValueError when the text is too long for any version.
    """
    qr: Any = QRCode(error_correction=LEVEL)
    qr.add_data(text)  # segments: byte, alphanumeric and numeric runs, as qrcode optimises them
    version, bits = _fit(qr.data_list)
    layout = _layout(version)
    codewords = _codewords(version, bits)
    data = format(int.from_bytes(codewords), f"0{8 * len(codewords)}b")
    source = data.ljust(layout.data_bits, "0") + layout.function  # remainder bits are 0
    plain_rows = int("".join(layout.rows_of(source)), 2)
    plain_cols = int("".join(layout.cols_of(source)), 2)
    area_rows, area_cols = layout.format_area
    best: tuple[int, int, int] = (-1, -1, 0)
    for mask, (flip_rows, dark_rows, flip_cols, dark_cols) in enumerate(layout.masks):
        rows = (plain_rows ^ flip_rows) & ~area_rows | dark_rows
        cols = (plain_cols ^ flip_cols) & ~area_cols | dark_cols
        score = _penalty(rows, cols, layout)
        if best[0] < 0 or score < best[0]:
            best = (score, mask, rows)
    n = layout.size
    modules = format(best[2], f"0{n * n}b")
    return Symbol(version, best[1], tuple(modules[i : i + n] for i in range(0, n * n, n)))
