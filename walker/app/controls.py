"""Key controls shared by every window: pause, single step, fast-forward, speed, epsilon,
save and quit.

Keys: space pause/resume, `.` one step while paused, `f` fast-forward (draw only every 10th
episode), `+`/`-` epsilon, `[`/`]` simulation speed, `s` save a checkpoint, Esc or closing
the window to save and quit. `Controls` only records what was asked; the loops that own the
window act on it between env steps.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from walker.app.scenes import CONTROL_HZ
from walker.draw.renderer import Window

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
LEGEND = "space pause  . step  f fast  +/- epsilon  [/] speed  s save  Esc quit"


class Controls:
    """What the keys pressed in `window` asked for; `agent` gets epsilon changes."""

    def __init__(self, window: Window | None, agent: Any = None, fast: bool = False,
                 speed: float = 1.0) -> None:
        self.window = window
        self.agent = agent
        self.paused = False
        self.step_once = False
        self.fast = fast
        self.speed_index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        self.quit = False
        self.save = False
        self.messages: list[str] = []

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    def log(self, message: str) -> None:
        self.messages.append(message)
        print(f"[window] {message}", file=sys.stderr, flush=True)

    def handle(self, keys: Sequence[str]) -> None:
        for key in keys:
            if key in ("escape", "quit"):
                self.quit = True
            elif key == " ":
                self.paused = not self.paused
            elif key == ".":
                self.paused = True
                self.step_once = True
            elif key == "f":
                self.fast = not self.fast
                self.log(f"fast-forward {'on' if self.fast else 'off'}")
            elif key in ("+", "=", "-") and self.agent is not None and hasattr(
                    self.agent, "epsilon_override"):
                current = float(self.agent.epsilon)
                value = min(1.0, current + 0.05) if key != "-" else max(0.0, current - 0.05)
                self.agent.epsilon_override = round(value, 4)
                self.log(f"epsilon set to {value:.2f}")
            elif key in ("[", "]"):
                step = 1 if key == "]" else -1
                self.speed_index = min(max(self.speed_index + step, 0), len(SPEEDS) - 1)
                self.log(f"simulation speed x{self.speed:g}")
            elif key == "s":
                self.save = True
                self.log("checkpoint requested")

    def poll(self) -> None:
        """Read the keys pressed since the last look, without drawing."""
        if self.window is not None:
            self.handle(self.window.poll())

    def show(self, surface: Any) -> None:
        """Show a frame at the chosen speed, then wait here while paused (events pumped)."""
        if self.window is None:
            return
        self.handle(self.window.show(surface, CONTROL_HZ * self.speed))
        while self.paused and not self.quit and not self.step_once:
            time.sleep(0.02)
            self.handle(self.window.show(surface))
