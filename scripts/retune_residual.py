"""Copy a residual PPO checkpoint so that it plays beside a retuned walking controller.

    python scripts/retune_residual.py IN.pt OUT.pt NAME=VALUE [NAME=VALUE ...]

A residual policy (`walker train ppo --residual walking`) records the walking controller it
plays beside (`agents.residual`). This writes OUT, the same checkpoint with those of the
controller's parameters (`WalkingConfig`) changed: the policy's weights, optimiser,
normalisers and metadata are kept, and `metadata["retuned"]` lists every change as
{name: [old, new]} (added to any earlier ones). `scripts/make_assets.sh` uses it for the
shipped walk, which learned beside the controller without catch steps and plays with them.
The values are checked as `walker train --residual-controller` checks them; OUT is written
atomically, and only if it is a regular file or new.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from agents.ppo import AGENT_KIND
from agents.ppo_config import controller_overrides
from agents.walking import WalkingConfig


def retune(source: Path, target: Path, pairs: list[str]) -> dict[str, list[Any]]:
    """Write `target`, `source` with the controller parameters `pairs` (NAME=VALUE) set;
    return the changes, {name: [old, new]}."""
    payload = load_checkpoint(source, AGENT_KIND)
    if payload["config"].get("residual") is None:
        raise CheckpointError(
            f"{source} is a plain PPO policy, not a residual one: it has no controller to retune"
        )
    try:
        overrides = controller_overrides(",".join(pairs))
    except ValueError as error:
        raise CheckpointError(str(error)) from None
    recorded = payload["state"]["residual_controller"]
    before = asdict(WalkingConfig(**recorded))
    after = {**before, **overrides}
    changes = {name: [before[name], after[name]] for name in after if after[name] != before[name]}
    payload["state"]["residual_controller"] = asdict(WalkingConfig(**after))
    metadata = dict(payload["metadata"])
    metadata["retuned"] = {**metadata.get("retuned", {}), **changes}
    save_checkpoint(target, payload["agent"], payload["config"], payload["state"], metadata)
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the residual PPO checkpoint to copy")
    parser.add_argument("target", type=Path, help="where the retuned copy is written")
    parser.add_argument(
        "pairs", nargs="+", metavar="NAME=VALUE", help="a WalkingConfig parameter and its new value"
    )
    args = parser.parse_args(argv)
    try:
        changes = retune(args.source, args.target, args.pairs)
    except CheckpointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    shown = ", ".join(f"{name} {old} -> {new}" for name, (old, new) in changes.items())
    print(f"{args.target} written ({shown or 'nothing changed'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
