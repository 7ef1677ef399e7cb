"""Where a sweep's tasks run (`Backend`: this process, a process pool, or Ray), the check
that it can run there before any work (`check_backend`: Ray installed, a cluster's address
answering as Ray does), and what a task that raised becomes (`Failure`).

Light on purpose (no tqdm, no Ray): the command line builds and checks a `Backend` before
loading the sweep itself (`walker.app.core.sweep`, `walker.app.core.sweep_ray`).
"""

from __future__ import annotations

import socket
import traceback
from dataclasses import dataclass
from typing import Any

from walker.app.core.machine import usable_cores
from walker.errors import InputError

POOL_RESTARTS = 2
"""How often a task on Ray runs again when its worker process died before it counts as
crashed (`sweep_ray` runs it again, not Ray; a process pool runs each task a dead worker
took down once more, alone)."""


class SweepError(InputError):
    """A sweep cannot run as asked (bad worker count, Ray missing or unreachable)."""


@dataclass(frozen=True)
class Failure:
    """A task that raised (or whose worker died), and why, in one line."""

    task: Any
    message: str


@dataclass(frozen=True)
class Backend:
    """Where tasks run: `workers` local processes, or Ray when `ray` is True."""

    workers: int = 1
    ray: bool = False
    ray_address: str | None = None
    """A Ray cluster's address (`host:port`, `ray://host:port` or `auto`); None starts a
    local Ray on this machine."""
    workers_given: bool = False
    """Whether `workers` was asked for: a local Ray then gets exactly that many CPUs."""

    def describe(self) -> str:
        if self.ray:
            return f"Ray at {self.ray_address}" if self.ray_address else "a local Ray"
        return "this process" if self.workers == 1 else f"{self.workers} worker processes"


def default_workers() -> int:
    """All the cores this process may use."""
    return usable_cores()


def check_backend(backend: Backend) -> None:
    """Fail with one sentence, before any work, if `backend` cannot run."""
    if backend.workers < 1:
        raise SweepError(f"--workers must be at least 1, got {backend.workers}")
    if not backend.ray:
        return
    try:
        import ray  # noqa: F401
    except ImportError as error:
        raise SweepError(
            "--ray needs Ray, an optional extra: run 'scripts/setup.sh ray' "
            "(or pip install 'henry-walker[ray]')"
        ) from error
    address = backend.ray_address
    if address and address != "auto":
        host, port = _host_port(address)
        try:
            answers = _speaks_grpc(host, port)
        except OSError as error:
            raise SweepError(
                f"cannot reach a Ray cluster at {address}: {error.strerror or error}"
            ) from error
        if not answers:
            raise SweepError(
                f"{address} answers, but not as a Ray cluster does (no gRPC there); give the "
                "address 'ray start --head' printed (its GCS port, 6379 by default, or "
                "ray://HOST:10001 for Ray Client)"
            )


_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
"""What an HTTP/2 client says first: the preface and an empty SETTINGS frame."""

PROBE_SECONDS = 5.0
"""How long the address check waits to connect, and then for an answer."""


def _speaks_grpc(host: str, port: int) -> bool:
    """Whether `host:port` answers as a gRPC server (Ray's GCS and Ray Client are): sent an
    HTTP/2 preface, such a server answers with a SETTINGS frame. Anything else (a web
    server, a database, silence) would leave `ray.init` waiting for minutes. Raises
    `OSError` when nothing accepts the connection."""
    with socket.create_connection((host, port), timeout=PROBE_SECONDS) as conn:
        try:
            conn.sendall(_HTTP2_PREFACE)
            header = b""
            while len(header) < 9:
                chunk = conn.recv(9 - len(header))
                if not chunk:
                    return False
                header += chunk
        except OSError:  # a timeout, or reset by a server that did not like the bytes
            return False
    return header[3] == 4  # the frame type: SETTINGS


def _host_port(address: str) -> tuple[str, int]:
    bare = address.split("://", 1)[-1]
    host, _, port = bare.rpartition(":")
    if not host or not port.isdigit():
        raise SweepError(
            f"--ray address must look like HOST:PORT (e.g. 10.0.0.5:6379), got {address!r}"
        )
    return host, int(port)


def describe_error(error: BaseException) -> str:
    """`error` in one line, as a failure is reported."""
    last = traceback.format_exception_only(type(error), error)[-1].strip()
    return last.replace("\n", " ")
