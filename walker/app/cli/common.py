"""What several verbs' command lines share: the env and start options, the default output
folder, the arguments every drawn run takes, and the one line a verb says on stderr."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, Any

from walker.app.core import checks
from walker.app.core.options import key_value
from walker.errors import InputError

if TYPE_CHECKING:
    from walker.app.core.sweep import Backend


class UsageError(InputError):
    """A command-line argument that cannot work."""


def add_env_options(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    parser.add_argument(
        "--env",
        default=default,
        metavar="ID",
        help="Gymnasium env id (Henry-v0, HenryContinuous-v0, CartPole-v1, ...)"
        + (f" (default: {default})" if default else ""),
    )
    parser.add_argument(
        "--env-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        type=key_value,
        help="keyword argument for the env, e.g. extension_levels=7 "
        "(repeatable; values are parsed as JSON when they can be)",
    )


def add_start_options(parser: argparse.ArgumentParser, pose: bool = True) -> None:
    """--seed, and --pose where Henry's start can be chosen."""
    parser.add_argument("--seed", type=checks.seed_arg, default=0, help="random seed (default: 0)")
    if pose:
        parser.add_argument(
            "--pose",
            default=None,
            help="Henry's start pose: standing, left_foot_up, right_foot_up or random "
            "(default: the env's)",
        )


def add_condition_option(parser: argparse.ArgumentParser) -> None:
    """--condition: play in the world `walker bench` draws for a condition and --seed."""
    from walker.app.core.conditions import CONDITIONS  # names only: numpy stays unloaded

    parser.add_argument(
        "--condition",
        default=None,
        metavar="NAME",
        choices=tuple(CONDITIONS),
        help="play the episode walker bench plays for condition NAME and --seed: the same "
        "drawn world (friction, body, strength, push, bumps) and start, a checkpoint "
        f"trained elsewhere included; one of {', '.join(CONDITIONS)}",
    )


def add_view_options(parser: argparse.ArgumentParser, camera: bool = True) -> None:
    """--footfalls, and --camera where several lanes are drawn."""
    parser.add_argument(
        "--footfalls",
        action="store_true",
        help="draw a scrolling footfall strip under the ground: a bar per foot, filled "
        "while planted, flight in amber (in a window the g key toggles it)",
    )
    if camera:
        parser.add_argument(
            "--camera",
            choices=("shared", "follow"),
            default="shared",
            help="several lanes: one shared camera, lanes aligned on their start lines and "
            "the leader ahead (default), or a camera following each Henry",
        )


def env_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return checks.check_env_kwargs(dict(args.env_arg))


def shown(args: argparse.Namespace) -> dict[str, Any]:
    """The options every drawn run (race, recording) takes the same way."""
    return {
        "seconds": args.seconds,
        "fps": args.fps,
        "env_id": args.env,
        "env_kwargs": env_kwargs(args),
        "seed": args.seed,
    }


def add_backend_options(parser: argparse.ArgumentParser, workers_help: str) -> None:
    """`--workers W` and `--ray [ADDRESS]`: where a sweep's tasks run (`backend_from_args`)."""
    parser.add_argument(
        "--workers", type=checks.workers_arg, default=None, metavar="W", help=workers_help
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="run the tasks on Ray: a local Ray without ADDRESS, a cluster's "
        "head (HOST:PORT) with it (needs scripts/setup.sh ray)",
    )


def backend_from_args(args: argparse.Namespace, default_workers: int) -> Backend:
    """Where `--workers` and `--ray` say a sweep's tasks run (more workers than the cores
    here are capped to them, with a one-line note)."""
    from walker.app.core.sweep import Backend  # tqdm

    return Backend(
        workers=checks.cap_workers(args.workers) if args.workers else default_workers,
        ray=args.ray is not None,
        ray_address=args.ray or None,
        workers_given=args.workers is not None,
    )


def say(line: str) -> None:
    """One line on stderr; after SIGHUP the terminal may be gone, and that is no new error."""
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr, flush=True)
