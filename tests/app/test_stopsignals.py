"""SIGTERM and SIGHUP raise like Ctrl-C inside `stop_on_signals`, once, with the shell's status."""

import signal
import subprocess
import sys

import pytest

from walker.app.core.stopsignals import StopSignal, exit_status, signal_name

WORKER = """
import sys, time
from walker.app.core.stopsignals import exit_status, signal_name, stop_on_signals
with stop_on_signals():
    try:
        print("ready", flush=True)
        while True:
            time.sleep(0.01)
    except KeyboardInterrupt as stop:
        print("saving after", signal_name(stop), flush=True)
        sys.exit(exit_status(stop))
"""


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)]
)
def test_a_stop_signal_runs_the_cleanup_and_sets_the_exit_status(signum, status):
    worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().strip() == "ready"
        worker.send_signal(signum)
        out, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:  # the worker loops for ever: never leave it behind
            worker.kill()
            worker.communicate()
    assert out.strip() == f"saving after {signal.Signals(signum).name}"
    assert worker.returncode == status


def test_statuses():
    assert exit_status(KeyboardInterrupt()) == 130
    assert exit_status(StopSignal(signal.SIGTERM)) == 143
    assert signal_name(StopSignal(signal.SIGHUP)) == "SIGHUP"


# Python reports the swallowed stop as "Exception ignored", which pytest turns into a warning.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_stop_swallowed_by_a_finalizer_is_raised_again():
    # A Ctrl-C that lands while a finalizer runs is printed as "Exception ignored" and
    # dropped by Python; the loops call raise_if_stopped each step, so the stop still ends
    # the command.
    import gc

    from walker.app.core.stopsignals import raise_if_stopped, stop_on_signals

    class Finalized:
        def __del__(self):
            signal.raise_signal(signal.SIGTERM)

    with stop_on_signals():
        Finalized()
        gc.collect()
        with pytest.raises(StopSignal) as stopped:
            raise_if_stopped()
    assert exit_status(stopped.value) == 143
    raise_if_stopped()  # the block is over: nothing pending


def test_a_stop_handed_on_as_a_plain_ctrl_c_keeps_its_signal():
    # Ray's ray.wait and ray.get turn whatever a signal's handler raised into a plain
    # KeyboardInterrupt: the command still says, and exits with, the signal that came.
    from walker.app.core.stopsignals import stop_on_signals

    def like_ray_wait():
        try:
            signal.raise_signal(signal.SIGTERM)
        except KeyboardInterrupt:
            raise KeyboardInterrupt() from None

    with stop_on_signals():
        with pytest.raises(KeyboardInterrupt) as stopped:
            like_ray_wait()
        assert type(stopped.value) is KeyboardInterrupt
        assert (signal_name(stopped.value), exit_status(stopped.value)) == ("SIGTERM", 143)
    assert exit_status(stopped.value) == 130  # outside the block, Ctrl-C as before


def test_a_stop_that_lands_in_a_physics_callback_is_raised_once_back_in_python(capfd):
    # pymunk runs collision callbacks from its C code, where a raised exception is printed
    # ("Exception ignored from cffi callback", a traceback) and dropped. The handler does
    # not raise there: the signal comes again a few milliseconds later and raises then.
    import time

    import pymunk

    from walker.app.core.stopsignals import stop_on_signals

    space = pymunk.Space()
    space.gravity = (0.0, -10.0)
    ground = pymunk.Segment(space.static_body, (-1.0, 0.0), (1.0, 0.0), 0.01)
    ball = pymunk.Body(1.0, 1.0)
    ball.position = (0.0, 0.05)
    shape = pymunk.Circle(ball, 0.04)
    space.add(ground, ball, shape)
    touched, stepped = [], []

    def begin(arbiter, space, data):
        if not touched:
            touched.append(True)
            signal.raise_signal(signal.SIGTERM)

    space.on_collision(begin=begin)
    with stop_on_signals(), pytest.raises(StopSignal) as stopped:
        for _ in range(100):
            space.step(0.01)  # the callback's signal raises nothing inside pymunk
        stepped.append(True)
        time.sleep(2.0)  # ... but here, once it comes again
    assert touched and stepped
    assert exit_status(stopped.value) == 143
    assert "Exception ignored" not in capfd.readouterr().err
