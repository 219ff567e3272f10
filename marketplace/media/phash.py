"""A 64-bit perceptual hash (pHash) for spotting the same photo uploaded twice.

The hash survives resizing, recompression and mild colour changes: copies of one photo differ
in a few bits, unrelated photos in about half of the 64. Pure Python (the DCT is 32 × 32, and
only its 9 × 9 low-frequency corner is computed), so no numerical library is needed.
"""

from __future__ import annotations

import math

from PIL import Image

SIZE = 32
_LOW = 9  # frequencies 0..8; 0 (the DC row and column) is dropped after the transform
_COS = [
    [math.cos(math.pi * (2 * x + 1) * u / (2 * SIZE)) for x in range(SIZE)] for u in range(_LOW)
]


def perceptual_hash(im: Image.Image) -> str:
    """The pHash of ``im`` as 16 lower-case hex digits (most significant bit first).

    Steps: greyscale, 32 × 32, 2-D DCT-II, the 8 × 8 block of frequencies 1..8 in both
    directions (leaving out the DC term and the pure row/column averages that carry overall
    brightness), then one bit per coefficient: set when above the block's median.
    """
    grey = im.convert("L").resize((SIZE, SIZE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    pixels = grey.tobytes()
    rows = [pixels[y * SIZE : (y + 1) * SIZE] for y in range(SIZE)]
    # Separable DCT: along rows first (keeping 9 frequencies), then down the columns.
    along_rows = [[_dot(_COS[u], row) for u in range(_LOW)] for row in rows]
    coefficients = [
        _dot(_COS[v], [along_rows[y][u] for y in range(SIZE)])
        for v in range(1, _LOW)
        for u in range(1, _LOW)
    ]
    ordered = sorted(coefficients)
    median = (ordered[31] + ordered[32]) / 2
    bits = 0
    for value in coefficients:
        bits = (bits << 1) | (value > median)
    return f"{bits:016x}"


def hamming_distance(a: str, b: str) -> int:
    """How many of the 64 bits differ between two hashes from ``perceptual_hash``.

    Raises ``ValueError`` unless both are 16 hex digits. 0 means identical; copies of a photo
    typically score ≤ 6, unrelated photos around 32.
    """
    for value in (a, b):
        if len(value) != 16:
            raise ValueError(f"not a 64-bit hash: {value!r}")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _dot(weights: list[float], values: bytes | list[float]) -> float:
    return math.fsum(w * v for w, v in zip(weights, values, strict=True))
