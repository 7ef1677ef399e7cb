"""Command-line options generated from config dataclasses, one option per field.

Each field of a config dataclass becomes `--field-name` (nested dataclasses get the field's
name as a prefix, `--epsilon-start`; a field's `metadata["option"]` renames it), typed from
its annotation, with the docstring written under the field as its help. A `bool` becomes
`--name/--no-name`, a `Literal` a choice, a tuple `N N ...`, and a `dict` a repeatable
`--name KEY=VALUE`. The CLI therefore mirrors the configs one to one and cannot drift from
them: `walker train AGENT` is generated from `TrainConfig` and the agent's config, and a
race's learning lane takes the same options (`config_from_words`).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
import shlex
import textwrap
import typing
from functools import cache
from pathlib import Path
from typing import Any

from walker.errors import InputError


class OptionsError(InputError):
    """Options that do not fit a config."""


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstrings written under each field of a dataclass, read from its source."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    tree = ast.parse(source)
    docs: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def _option(prefix: str, f: dataclasses.Field[Any]) -> str:
    name: str = f.metadata.get("option", f.name)
    return "--" + (prefix + name).replace("_", "-")


def key_value(text: str) -> tuple[str, Any]:
    """`KEY=VALUE` as (key, value), the value parsed as JSON when it can be."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, raw = text.split("=", 1)
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def _dest(prefix: str, name: str) -> str:
    return (prefix + name).replace("-", "_")


def add_config_options(parser: argparse.ArgumentParser | Any, cls: type, prefix: str = "") -> None:
    """Add one option per field of dataclass `cls` (defaults stay with the dataclass)."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        default = (
            f.default
            if f.default is not dataclasses.MISSING
            else (f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        )
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            add_config_options(parser, hint, prefix=f"{prefix}{f.name}_")
            continue
        help_text = docs.get(f.name, "")
        help_text = f"{help_text} (default: {_show(default)})".replace("%", "%%")
        parser.add_argument(
            _option(prefix, f),
            dest=_dest(prefix, f.name),
            default=None,
            help=help_text,
            **_parsing(hint),
        )


def _parsing(hint: Any) -> dict[str, Any]:
    """How an option of type `hint` is parsed: `add_argument`'s action, type, nargs, ..."""
    origin = typing.get_origin(hint)
    if hint is bool or _optional(hint) is bool:
        return {"action": argparse.BooleanOptionalAction}
    if origin is typing.Literal:
        return {"choices": typing.get_args(hint)}
    if origin in (tuple, list):
        item = typing.get_args(hint)[0]
        return {"nargs": "+", "type": item if item in (int, float, str) else str, "metavar": "N"}
    if origin is dict:
        return {"action": "append", "type": key_value, "metavar": "KEY=VALUE"}
    kind = _scalar_type(hint)
    return {"type": kind, "metavar": kind.__name__.upper()}


def _optional(hint: Any) -> Any:
    """X for `X | None`, else None."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if len(args) == 1 and type(None) in typing.get_args(hint) else None


def _scalar_type(hint: Any) -> type:
    scalars = (int, float, str, Path)
    if hint in scalars:
        return hint  # type: ignore[no-any-return]
    inner = _optional(hint)
    if inner in scalars:
        return inner  # type: ignore[no-any-return]
    return str


def _show(value: Any) -> str:
    if dataclasses.is_dataclass(value):
        return "see the options below"
    return repr(value) if isinstance(value, str) else str(value)


def config_from_args(
    cls: type, args: argparse.Namespace, prefix: str = "", base: Any = None
) -> Any:
    """Build `cls` from parsed options, keeping `base`'s values (or the defaults) for unset ones."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        current = getattr(base, f.name) if base is not None else None
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            values[f.name] = config_from_args(hint, args, f"{prefix}{f.name}_", current)
            continue
        given = getattr(args, _dest(prefix, f.name), None)
        if given is not None:
            origin = typing.get_origin(hint)
            values[f.name] = (
                tuple(given) if origin is tuple else dict(given) if origin is dict else given
            )
        elif base is not None:
            values[f.name] = current
    return cls(**values)


def given_values(cls: type, args: argparse.Namespace, prefix: str = "") -> dict[str, Any]:
    """The fields of dataclass `cls` given on the command line, by option-style name
    (`alpha`, `epsilon_end` for a nested field), as `config_from_args` would read them."""
    hints = typing.get_type_hints(cls)
    given: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            given.update(given_values(hint, args, f"{prefix}{f.name}_"))
            continue
        value = getattr(args, _dest(prefix, f.name), None)
        if value is not None:
            given[_dest(prefix, f.name)] = value
    return given


class _RaisingParser(argparse.ArgumentParser):
    """An ArgumentParser that raises OptionsError instead of printing usage and exiting."""

    def error(self, message: str) -> typing.NoReturn:
        raise OptionsError(message)


def config_from_words(cls: type, words: str, what: str) -> Any:
    """Build `cls` from options written as on the command line, e.g. `--alpha 0.3
    --epsilon-end 0.01`; `what` names them in errors."""
    parser = _RaisingParser(prog=what, add_help=False)
    add_config_options(parser, cls)
    try:
        args = parser.parse_args(shlex.split(words))
        return config_from_args(cls, args)
    except (OptionsError, TypeError, ValueError) as error:
        raise OptionsError(f"bad options for {what}: {error}") from error
