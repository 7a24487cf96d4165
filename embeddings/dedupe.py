"""Near-duplicate detection with MinHash signatures over word shingles, banded for lookup.

Hand-written on NumPy (60 lines) because signatures must persist in the chunk store and be
compared incrementally, which the pure-Python libraries make slow for thousands of articles.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

NUM_PERM = 64
BANDS = 16  # 16 bands x 4 rows: pairs above ~0.6 Jaccard nearly always share a band
_ROWS = NUM_PERM // BANDS
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20250101)
_A = _rng.integers(1, (1 << 61) - 1, NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, (1 << 61) - 1, NUM_PERM, dtype=np.uint64)


def signature(text: str, shingle: int = 5) -> np.ndarray:
    """MinHash signature (``NUM_PERM`` uint64) of the text's word 5-grams."""
    words = re.findall(r"\w+", text.lower())
    grams = {" ".join(words[i:i + shingle]) for i in range(max(1, len(words) - shingle + 1))}
    hashes = np.fromiter(
        (int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little") >> 4 for g in grams),
        dtype=np.uint64, count=len(grams),
    )
    # uint64 multiplication wraps around instead of being exact mod p; the family of
    # permutations stays random enough for MinHash and keeps this one vectorised line.
    mixed = (hashes[:, None] * _A[None, :] + _B[None, :]) % _PRIME
    return mixed.min(axis=0)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


class NearDuplicateFinder:
    """Holds known signatures; finds one that is nearly the same as a new text's."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._buckets: dict[tuple[int, bytes], list[str]] = {}
        self._signatures: dict[str, np.ndarray] = {}

    def add(self, article_id: str, sig: np.ndarray) -> None:
        self._signatures[article_id] = sig
        for band in range(BANDS):
            key = (band, sig[band * _ROWS:(band + 1) * _ROWS].tobytes())
            self._buckets.setdefault(key, []).append(article_id)

    def remove(self, article_id: str) -> None:
        sig = self._signatures.pop(article_id, None)
        if sig is None:
            return
        for band in range(BANDS):
            key = (band, sig[band * _ROWS:(band + 1) * _ROWS].tobytes())
            self._buckets[key] = [a for a in self._buckets.get(key, []) if a != article_id]

    def find(self, sig: np.ndarray) -> str | None:
        """The id of a known article at or above the threshold, if any."""
        seen: set[str] = set()
        for band in range(BANDS):
            for other in self._buckets.get((band, sig[band * _ROWS:(band + 1) * _ROWS].tobytes()), []):
                if other not in seen:
                    seen.add(other)
                    if similarity(sig, self._signatures[other]) >= self.threshold:
                        return other
        return None
