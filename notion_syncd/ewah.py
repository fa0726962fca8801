"""git's EWAH bitmaps, as the split index's ``link`` extension stores them.

A bitmap is a list of 64-bit words; bit ``n`` is bit ``n % 64`` (least significant
first) of word ``n // 64``. EWAH compresses it into *marker* words, each followed by
literal words: a marker says "``run`` words all of ``run_bit``, then ``literals``
words as they are" (bit 0: ``run_bit``; bits 1-32: ``run``; bits 33-63: ``literals``).
Serialized (git's ``ewah/ewah_io.c``): the bit count, the number of words (both 32-bit
big-endian), the words (64-bit big-endian), and the position of the last marker.

Only the set positions matter to an index (replaced or deleted shared entries), so
this module turns sorted positions into bytes and back. The encoder writes runs of
zero words as runs (git also folds all-ones words into runs; the decoder reads both).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

_COUNTS = struct.Struct(">II")
_LAST_MARKER = struct.Struct(">I")
_WORD_BITS = 64
_RUN_MAX = (1 << 32) - 1
_LITERALS_MAX = (1 << 31) - 1


class EwahFormatError(ValueError):
    """The bytes are not a whole EWAH bitmap."""


def encode(positions: Iterable[int]) -> bytes:
    """The serialized bitmap whose set bits are ``positions`` (ascending, no repeats)."""
    literals: dict[int, int] = {}
    bit_count = 0
    for position in positions:
        if position < bit_count:
            raise ValueError(f"positions out of order at {position}")
        literals[position // _WORD_BITS] = literals.get(position // _WORD_BITS, 0) | (
            1 << position % _WORD_BITS
        )
        bit_count = position + 1
    words = [0]  # the first marker, set when the next one starts
    marker = run = literal_count = 0
    next_word = 0  # the first bitmap word not yet described
    for index, literal in literals.items():
        gap = index - next_word
        if gap and literal_count:  # a marker's run comes before its literals: a new one
            words[marker] = _marker(run, literal_count)
            marker, run, literal_count = len(words), 0, 0
            words.append(0)
        while gap > _RUN_MAX - run:  # more zero words than one marker counts
            gap -= _RUN_MAX - run
            words[marker] = _marker(_RUN_MAX, 0)
            marker, run = len(words), 0
            words.append(0)
        run += gap
        if literal_count == _LITERALS_MAX:
            words[marker] = _marker(run, literal_count)
            marker, run, literal_count = len(words), 0, 0
            words.append(0)
        words.append(literal)
        literal_count += 1
        next_word = index + 1
    words[marker] = _marker(run, literal_count)
    return b"".join(
        (
            _COUNTS.pack(bit_count, len(words)),
            struct.pack(f">{len(words)}Q", *words),
            _LAST_MARKER.pack(marker),
        )
    )


def _marker(run: int, literal_count: int) -> int:
    return run << 1 | literal_count << 33


def decode(data: bytes, offset: int = 0) -> tuple[list[int], int]:
    """The set positions of the bitmap serialized at ``offset``, and the offset after it."""
    if len(data) < offset + _COUNTS.size:
        raise EwahFormatError("the bitmap ends before its word count")
    _bit_count, word_count = _COUNTS.unpack_from(data, offset)
    start = offset + _COUNTS.size
    end = start + 8 * word_count
    if len(data) < end + _LAST_MARKER.size:
        raise EwahFormatError("the bitmap ends inside its words")
    words = struct.unpack_from(f">{word_count}Q", data, start)
    positions: list[int] = []
    at = 0  # index into words
    bit = 0  # the bitmap position of the next word described
    while at < word_count:
        marker = words[at]
        run = (marker >> 1) & _RUN_MAX
        literal_count = marker >> 33
        if marker & 1:
            positions.extend(range(bit, bit + run * _WORD_BITS))
        bit += run * _WORD_BITS
        if at + literal_count >= word_count:
            raise EwahFormatError("a marker counts more literal words than the bitmap has")
        for literal in words[at + 1 : at + 1 + literal_count]:
            while literal:
                low = literal & -literal
                positions.append(bit + low.bit_length() - 1)
                literal ^= low
            bit += _WORD_BITS
        at += 1 + literal_count
    return positions, end + _LAST_MARKER.size
