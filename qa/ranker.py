"""The learned rankers: logistic regression over cheap features, shipped as JSON.

The passage ranker scores candidate chunks (``qa.features``); the sentence scorer of
``qa.prompt`` uses the same model shape to choose what reaches the prompt.

Trained by ``benchmarks/train_ranker.py`` on RealTime QA questions of April-December 2025
(never on the q1 test split). The passage ranker's output is the probability that a chunk holds
the answer, which orders the passages and also drives early abstention. Scoring is one
small matrix product: no scikit-learn at run time, and the file loads in microseconds.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings import ModelUnavailableError

from .features import FEATURES

RANKER_FILE = Path(__file__).with_name("ranker.json")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class LinearRanker:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """P(answer in chunk) for each row of a ``qa.features`` matrix."""
        if not len(matrix):
            return np.zeros(0, dtype=np.float64)
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_dict(self, **extra) -> dict:
        return {"format_version": FORMAT_VERSION, "kind": "logistic", "features": list(self.features),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, **extra}

    @classmethod
    def from_dict(cls, data: dict) -> "LinearRanker":
        return cls(tuple(data["features"]), np.asarray(data["mean"], dtype=np.float64),
                   np.asarray(data["scale"], dtype=np.float64), np.asarray(data["coef"], dtype=np.float64),
                   float(data["intercept"]))


@dataclass(frozen=True)
class TreeRanker:
    """Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, exported as
    arrays): P = sigmoid(baseline + sum of each tree's leaf value)."""

    features: tuple[str, ...]
    baseline: float
    trees: tuple[dict[str, np.ndarray], ...]  # feature, threshold, left, right, leaf, value per node

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """P(answer in chunk) for each row of a feature matrix."""
        if not len(matrix):
            return np.zeros(0, dtype=np.float64)
        rows = np.arange(len(matrix))
        raw = np.full(len(matrix), self.baseline)
        for tree in self.trees:
            node = np.zeros(len(matrix), dtype=np.int64)
            for _ in range(tree["depth"]):
                leaf = tree["leaf"][node]
                go_left = matrix[rows, tree["feature"][node]] <= tree["threshold"][node]
                node = np.where(leaf, node, np.where(go_left, tree["left"][node], tree["right"][node]))
            raw += tree["value"][node]
        return 1.0 / (1.0 + np.exp(-np.clip(raw, -30, 30)))

    def to_dict(self, **extra) -> dict:
        trees = [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in t.items()} for t in self.trees]
        return {"format_version": FORMAT_VERSION, "kind": "trees", "features": list(self.features),
                "baseline": self.baseline, "trees": trees, **extra}

    @classmethod
    def from_dict(cls, data: dict) -> "TreeRanker":
        kinds = {"feature": np.int64, "threshold": np.float64, "left": np.int64, "right": np.int64,
                 "leaf": bool, "value": np.float64}
        trees = tuple({**{k: np.asarray(t[k], dtype=kind) for k, kind in kinds.items()}, "depth": int(t["depth"])}
                      for t in data["trees"])
        return cls(tuple(data["features"]), float(data["baseline"]), trees)


Ranker = LinearRanker | TreeRanker


@functools.lru_cache(maxsize=8)
def load_ranker(path: Path = RANKER_FILE, features: tuple[str, ...] = FEATURES) -> Ranker:
    """The ranker stored at ``path`` (the packaged passage ranker by default), loaded once.

    Args:
        path: a file written by ``LinearRanker.to_dict``.
        features: the feature names this code computes, in order; the file must match.

    Raises:
        ModelUnavailableError: the file is missing, damaged, or was trained on other features.
    """
    fix = "reinstall Newsdesk (`make setup`) or retrain it with `python -m benchmarks.train_ranker`"
    try:
        data = json.loads(Path(path).read_text())
        ranker = (TreeRanker if data.get("kind") == "trees" else LinearRanker).from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelUnavailableError(f"the passage ranker {path} is unreadable ({exc.__class__.__name__}): {fix}") from exc
    if data.get("format_version") != FORMAT_VERSION or ranker.features != features:
        raise ModelUnavailableError(f"the passage ranker {path} was trained on other features than this "
                                    f"version computes: {fix}")
    return ranker
