"""Which machine made a figure: CPU model, cores, and the versions that shape the numbers.

Chaotic episodes differ between CPUs (a policy can fall on one machine and not on
another), and speeds differ by far more, so `bench.json` and `walker speed` record this
beside their results. Reading it imports nothing heavy: versions come from the installed
distributions' metadata, not from importing torch.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import sys
from dataclasses import asdict, dataclass
from importlib import metadata, util
from pathlib import Path

RECORDED_PACKAGES = ("numpy", "torch", "pymunk")
"""Distributions whose versions are recorded beside Python's."""


@dataclass(frozen=True)
class Machine:
    """The machine and software a result was measured on."""

    cpu_model: str
    """The processor's name as the OS reports it (`/proc/cpuinfo` on Linux)."""
    cores: int
    """Logical cores this process may use."""
    system: str
    """OS and architecture, e.g. `Linux x86_64`."""
    python: str
    numpy: str
    torch: str
    pymunk: str

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)

    def describe(self) -> str:
        """One line for a report's heading."""
        return (
            f"{self.cpu_model}, {self.cores} cores, {self.system}; Python {self.python}, "
            f"numpy {self.numpy}, torch {self.torch}, pymunk {self.pymunk}"
        )


def cpu_model() -> str:
    """The CPU's model name, or the platform's processor string where there is no cpuinfo."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "cpu model") and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system has one), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def this_machine() -> Machine:
    """This machine, now."""
    return Machine(
        cpu_model=cpu_model(),
        cores=usable_cores(),
        system=f"{platform.system()} {platform.machine()}",
        python=platform.python_version() or sys.version.split()[0],
        numpy=_version("numpy"),
        torch=_version("torch"),
        pymunk=_version("pymunk"),
    )


CODE_PACKAGES = ("agents", "envs", "walker")
"""The packages whose source decides what an episode gives."""

SHOWING_ONLY = (
    "walker/app/cli",
    "walker/app/viewing",
    "walker/app/speed",
    "walker/app/experiments",
    *(
        f"walker/draw/{name}.py"
        for name in ("camera", "mind", "panels", "renderer", "scene", "video", "window")
    ),
)
"""Folders and files of `walker` that only draw, parse a command line, show a window, time
or run the article's experiments: no bench episode or bench training loads them (a test
holds that), so the digest leaves them out and editing them keeps a bench folder's
records. (`walker/draw/henry.py` and `footfalls.py` stay in: the bench's footfall record
uses them.)"""


@functools.cache
def code_digest() -> str:
    """A digest of the source of Henry's packages (`agents`, `envs`, `walker` but what
    `SHOWING_ONLY` names), found without importing them: equal for the same code wherever
    it is installed, different once any Python file an episode can run changes."""
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        spec = util.find_spec(package)
        roots = list(spec.submodule_search_locations or []) if spec is not None else []
        for root in map(Path, roots):
            for path in sorted(root.rglob("*.py")):
                name = f"{package}/{path.relative_to(root).as_posix()}"
                if not showing_only(name):
                    digest.update(f"{name}\0".encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def showing_only(name: str) -> bool:
    """Whether the file `name` ("walker/draw/video.py") is left out of `code_digest`."""
    return any(name == part or name.startswith(f"{part}/") for part in SHOWING_ONLY)
