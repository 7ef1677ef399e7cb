"""Fixtures the app's tests share."""

import pytest

from tests.app.xwindow import virtual_display


@pytest.fixture
def local_ray():
    """A real local Ray with two CPUs and a small object store. Tests that use it one after
    another share it (each start cost 4-5 s, and its workers' imports as much again); it is
    shut down after the last of a run of them (`pytest_runtest_teardown`), so it never idles
    beside the other tests. The Ray tests share one test worker (`xdist_group("ray")`)."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(
            address="local",
            num_cpus=2,
            object_store_memory=80 * 1024 * 1024,
            include_dashboard=False,
            log_to_driver=False,
        )
    return ray


def pytest_runtest_teardown(item, nextitem):
    """Shut the local Ray down when the next test does not use it too."""
    if "local_ray" in getattr(item, "fixturenames", ()) and "local_ray" not in getattr(
        nextitem, "fixturenames", ()
    ):
        import ray

        ray.shutdown()


@pytest.fixture(scope="session")
def display():
    """One Xvfb screen for all the window tests a test worker runs (skipped where there is no
    Xvfb). Per module, the slow-first order (tests/conftest.py) had each worker stop and start
    its screen many times, and once in five runs a window test found SDL unable to open
    the freshly started one; one screen per worker keeps starts to one."""
    try:
        with virtual_display() as name:
            yield name
    except RuntimeError as error:
        pytest.skip(str(error))
