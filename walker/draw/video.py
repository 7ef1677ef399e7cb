"""Writing frames to H.264 mp4 (imageio-ffmpeg, whose ffmpeg ships in its wheel) or GIF.

`VideoWriter` writes to a temporary file beside the destination and renames it into place
only when the video is complete, so a bad path, an encoder failure or a crash never leaves a
broken file behind. Frame sizes are checked up front: H.264 in yuv420p needs even widths
and heights, and the encoder is told not to resize (imageio's default `macro_block_size=16`
would silently turn 600x400 into 608x400).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from walker.errors import UnavailableError
from walker.files import OutputPathError, atomic_path

FORMATS = (".mp4", ".gif")


class VideoError(UnavailableError):
    """A video cannot be written as asked."""


class VideoWriter:
    """Append HxWx3 uint8 frames; `close()` finishes and publishes the file.

    Use it as a context manager: leaving the block normally publishes the video, leaving it
    with an exception discards it.
    """

    def __init__(self, path: str | Path, fps: float = 30.0) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in FORMATS:
            raise VideoError(f"cannot write {self.path}: use a .mp4 or .gif file name")
        if not (isinstance(fps, (int, float)) and 1 <= fps <= 240):
            raise VideoError(f"fps must be between 1 and 240, got {fps!r}")
        self.fps = float(fps)
        self.frames = 0
        self._shape: tuple[int, ...] | None = None
        self._writer: Any = None
        self._stack = contextlib.ExitStack()
        try:
            self._temp = self._stack.enter_context(atomic_path(self.path))
        except OutputPathError as error:
            raise VideoError(f"cannot write video: {error}") from error
        self._suffix = suffix

    def _open(self, frame: np.ndarray) -> None:
        import imageio.v2 as imageio

        height, width = frame.shape[:2]
        try:
            if self._suffix == ".mp4":
                if width % 2 or height % 2:
                    raise VideoError(f"H.264 needs even frame sizes, got {width}x{height}")
                self._writer = imageio.get_writer(
                    self._temp,
                    format="FFMPEG",
                    mode="I",
                    fps=self.fps,
                    codec="libx264",
                    pixelformat="yuv420p",
                    macro_block_size=1,
                    quality=7,
                    ffmpeg_log_level="error",
                )
            else:
                self._writer = imageio.get_writer(
                    self._temp, format="GIF", mode="I", duration=1000.0 / self.fps, loop=0
                )
        except VideoError:
            raise
        except Exception as error:  # the encoder could not start
            raise VideoError(f"cannot start the {self._suffix} encoder: {error}") from error

    def append(self, frame: np.ndarray) -> None:
        array = np.asarray(frame)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
            raise VideoError(f"frames must be HxWx3 uint8, got {array.dtype} {array.shape}")
        if self._shape is None:
            self._open(array)
            self._shape = array.shape
        elif array.shape != self._shape:
            raise VideoError(f"frame size changed from {self._shape} to {array.shape}")
        try:
            self._writer.append_data(array)
        except Exception as error:
            raise VideoError(f"the encoder failed on frame {self.frames}: {error}") from error
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and rename it into place."""
        if self.frames == 0:
            self.abort()
            raise VideoError(f"no frames were written to {self.path}")
        try:
            self._writer.close()
        except Exception as error:
            self.abort()
            raise VideoError(f"the encoder failed to finish {self.path}: {error}") from error
        except BaseException:  # Ctrl-C or a stop signal while the encoder finishes
            self.abort()
            raise
        self._stack.close()
        return self.path

    def abort(self) -> None:
        """Discard the partial file."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        self._stack.__exit__(VideoError, VideoError("aborted"), None)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def write_video(path: str | Path, frames: Any, fps: float = 30.0) -> Path:
    """Write an iterable of frames to `path` atomically."""
    with VideoWriter(path, fps) as writer:
        for frame in frames:
            writer.append(frame)
    return Path(path)


def read_frames(path: str | Path) -> list[np.ndarray]:
    """Decode a video written by this module (for tests and montages)."""
    import imageio.v2 as imageio

    reader = imageio.get_reader(path)
    try:
        return [np.asarray(frame)[..., :3] for frame in reader]  # type: ignore[attr-defined]
    finally:
        reader.close()
