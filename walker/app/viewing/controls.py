"""Key controls shared by every window: pause, single step, fast-forward, time-lapse, speed,
epsilon, stand up, save and quit.

Keys: space pause/resume, `.` one step while paused, `f` fast-forward (draw only every 10th
episode), `t` time-lapse (show every 2nd, 4th, ... 16th frame, so simulated time runs that
many times faster), `+`/`-` epsilon, `[`/`]` simulation speed, `r` put Henry back on his
feet, `g` the footfall strip under the ground on or off, `s` save a checkpoint, Esc or
closing the window to save and quit. A mouse drag on
Henry pushes him (the loops read drags from the window). `Controls` only records what was
asked; the loops that own the window act on it between env steps.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from walker.app.viewing.rates import CONTROL_HZ

if TYPE_CHECKING:
    from walker.draw.renderer import Window

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
TIMELAPSES = (1, 2, 4, 8, 16)
LEGEND = (
    "space pause  . step  f fast  t time-lapse  +/- epsilon  [/] speed  r stand up  "
    "g footfalls  drag push  s save  Esc quit"
)


def window_title(what: str) -> str:
    """A window's title: what it shows, then the keys (the HUD has no room for them)."""
    return f"Henry: {what}   [{LEGEND}]"


class Controls:
    """What the keys pressed in `window` asked for; `agent` gets epsilon changes."""

    def __init__(
        self,
        window: Window | None,
        agent: Any = None,
        fast: bool = False,
        speed: float = 1.0,
        fps: float = CONTROL_HZ,
        footfalls: bool = False,
    ) -> None:
        self.window = window
        self.fps = fps
        """Frames per simulated second the views sample: shown at this rate, real time."""
        self.agent = agent
        self.paused = False
        self.step_once = False
        self.fast = fast
        self.speed_index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        self.quit = False
        self.save = False
        self.stand_up = False
        """Put Henry back on his feet (the loop clears it when it has asked the env)."""
        self.footfalls = footfalls
        """Show the footfall strip under the ground."""
        self.timelapse = 1
        self.frames_seen = 0
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
            elif (
                key in ("+", "=", "-")
                and self.agent is not None
                and hasattr(self.agent, "epsilon_override")
            ):
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
            elif key == "t":
                later = [k for k in TIMELAPSES if k > self.timelapse]
                self.timelapse = later[0] if later else TIMELAPSES[0]
                self.log(f"time-lapse x{self.timelapse}")
            elif key == "r":
                self.stand_up = True
                self.log("back on his feet")
            elif key == "g":
                self.footfalls = not self.footfalls
                self.log(f"footfall strip {'on' if self.footfalls else 'off'}")

    def skip_frame(self) -> bool:
        """Whether time-lapse leaves out the frame about to be drawn (keys still read)."""
        self.frames_seen += 1
        if self.timelapse == 1 or self.frames_seen % self.timelapse == 0:
            return False
        if self.frames_seen % 8 == 0:
            self.poll()
        return True

    def poll(self) -> None:
        """Read the keys pressed since the last look, without drawing."""
        if self.window is not None:
            self.handle(self.window.poll())

    def show(self, surface: Any) -> None:
        """Show a frame at the chosen speed, then wait here while paused (events pumped)."""
        if self.window is None:
            return
        self.handle(self.window.show(surface, self.fps * self.speed))
        while self.paused and not self.quit and not self.step_once:
            time.sleep(0.02)
            self.handle(self.window.show(surface))
