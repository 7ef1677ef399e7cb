"""Validating agents' config dataclasses, shared by every agent and free of torch, so the
configs (and the `walker train AGENT` options made from them) load without it."""

from __future__ import annotations

import math
from dataclasses import asdict, fields
from typing import Any, TypeVar

ConfigT = TypeVar("ConfigT")


def require(condition: bool, message: str) -> None:
    """Raise `ValueError(message)` unless `condition` holds (config validation)."""
    if not condition:
        raise ValueError(message)


def is_whole(value: Any, minimum: int = 1) -> bool:
    """`value` is an int (not a bool) of at least `minimum`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def is_number(value: Any, low: float = -math.inf, high: float = math.inf) -> bool:
    """`value` is a finite real number (not a bool) in [low, high]."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and low <= value <= high
    )


def check_hidden_sizes(config: Any) -> None:
    """Validate `config.hidden_sizes` and store it as a tuple (a checkpoint gives a list)."""
    sizes = config.hidden_sizes
    require(
        isinstance(sizes, (tuple, list))
        and len(sizes) > 0
        and all(is_whole(size) for size in sizes),
        f"hidden_sizes must be a non-empty sequence of whole numbers >= 1, got {sizes!r}",
    )
    object.__setattr__(config, "hidden_sizes", tuple(sizes))


def network_config_to_dict(config: Any) -> dict[str, Any]:
    """A network agent's config dataclass as checkpoint-ready values (tuples as lists)."""
    values: dict[str, Any] = asdict(config)
    values["hidden_sizes"] = list(config.hidden_sizes)
    return values


def config_from_dict(cls: type[ConfigT], values: dict[str, Any], agent: str) -> ConfigT:
    """`cls(**values)`, refusing fields `cls` does not have (`agent` names it in the error)."""
    unknown = set(values) - {f.name for f in fields(cls)}  # type: ignore[arg-type]
    require(not unknown, f"unknown {agent} config field(s) {sorted(unknown)}")
    return cls(**values)
