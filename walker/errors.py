"""The one base of every error a user can cause and fix, and the few kinds under it.

`walker` catches `WalkerError` alone: it prints the message as one line, `walker: error:
...`, and exits 2. Anything else is a bug and keeps its traceback. Each error says what was
wrong and what is allowed, in one sentence, since that sentence is all the user sees.

* `InputError` (also a `ValueError`): what was given cannot be used: an argument, an env
  keyword, a spec, a checkpoint, a run folder, a config.
* `OutputError` (also an `OSError`): a file cannot be written where it was asked for.
* `UnavailableError` (also a `RuntimeError`): what the machine lacks or cannot do for this
  run: a display, a video encoder, a simulation that stays finite.
"""

from __future__ import annotations


class WalkerError(Exception):
    """Something the user can fix; the command line prints it as one line and exits 2."""


class InputError(WalkerError, ValueError):
    """What was given (an argument, a file, a config) cannot be used as it is."""


class OutputError(WalkerError, OSError):
    """A file cannot be written where it was asked for."""


class UnavailableError(WalkerError, RuntimeError):
    """This machine cannot do what was asked (no display, no video encoder, ...)."""
