"""What every experiment returns: `Report`, its table and figures, saved as report.txt and
figures.json (the 95% interval its tables quote is `walker.app.core.stats.mean_ci95`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from walker.files import atomic_write_text, ensure_writable_dir

REPORT_FILES = ("report.txt", "figures.json")
"""What an experiment writes into its --out folder."""


@dataclass(frozen=True)
class Report:
    """What an experiment found: its table, and the figures behind it (`figures.json`)."""

    name: str
    text: str
    figures: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: Path) -> Path:
        ensure_writable_dir(folder)
        text, figures = REPORT_FILES
        atomic_write_text(folder / text, self.text + "\n")
        atomic_write_text(folder / figures, json.dumps(self.figures, indent=2) + "\n")
        return folder
