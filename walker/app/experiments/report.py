"""What every experiment returns (`Report`: its table and figures, saved as report.txt and
figures.json) and the 95% interval its tables quote."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from walker.files import atomic_write_text, ensure_writable_dir


def mean_ci95(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and a 95% t-interval (normal for n > 30)."""
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if len(data) < 2:
        return mean, mean, mean
    t_table = {
        1: 12.71,
        2: 4.30,
        3: 3.18,
        4: 2.78,
        5: 2.57,
        6: 2.45,
        7: 2.36,
        8: 2.31,
        9: 2.26,
        10: 2.23,
        11: 2.20,
        12: 2.18,
        13: 2.16,
        14: 2.14,
        15: 2.13,
        19: 2.09,
        24: 2.06,
        29: 2.05,
    }
    dof = len(data) - 1
    t = t_table.get(dof) or (1.96 if dof > 30 else t_table[max(k for k in t_table if k <= dof)])
    half = t * float(data.std(ddof=1)) / math.sqrt(len(data))
    return mean, mean - half, mean + half


@dataclass
class Report:
    name: str
    text: str
    figures: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: Path) -> Path:
        ensure_writable_dir(folder)
        atomic_write_text(folder / "report.txt", self.text + "\n")
        atomic_write_text(folder / "figures.json", json.dumps(self.figures, indent=2) + "\n")
        return folder
