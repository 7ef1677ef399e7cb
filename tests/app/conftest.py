"""Fixtures the app's tests share."""

import pytest


@pytest.fixture
def local_ray():
    """A real local Ray with two CPUs and a small object store, shut down afterwards."""
    ray = pytest.importorskip("ray")
    ray.init(
        address="local",
        num_cpus=2,
        object_store_memory=80 * 1024 * 1024,
        include_dashboard=False,
        log_to_driver=False,
    )
    yield ray
    ray.shutdown()
