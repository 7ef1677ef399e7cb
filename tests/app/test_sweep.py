"""The sweep runner: same results in-process and on a pool, failures named, nothing lost."""

import os

import pytest

from walker.app.core.sweep import Backend, SweepError, check_backend, run_sweep


def square_plus_offset(task, shared):
    """A pure task: its result depends on the task and the shared data only."""
    if task == 3:
        raise RuntimeError("task 3 always fails")
    return task * task + shared["offset"]


def die_on_seven(task, shared):
    if task == 7:
        os._exit(1)  # a worker process dying without a Python exception
    return task


def collect(function, tasks, backend, shared=None):
    results = {}
    failures = run_sweep(
        function,
        tasks,
        backend=backend,
        shared=shared,
        progress=False,
        on_result=lambda task, result: results.__setitem__(task, result),
    )
    return results, failures


@pytest.mark.parametrize("workers", [1, 2])
def test_results_do_not_depend_on_the_worker_count_and_a_failure_is_named(workers):
    results, failures = collect(
        square_plus_offset, list(range(6)), Backend(workers=workers), shared={"offset": 10}
    )
    assert results == {0: 10, 1: 11, 2: 14, 4: 26, 5: 35}
    assert [f.task for f in failures] == [3]
    assert "RuntimeError: task 3 always fails" in failures[0].message


def test_a_dying_worker_loses_only_its_own_task():
    results, failures = collect(die_on_seven, list(range(10)), Backend(workers=2))
    assert results == {t: t for t in range(10) if t != 7}
    assert [f.task for f in failures] == [7]
    assert "worker process died" in failures[0].message


def test_bad_backends_are_refused_before_any_work():
    with pytest.raises(SweepError, match="--workers must be at least 1"):
        check_backend(Backend(workers=0))
    pytest.importorskip("ray")
    with pytest.raises(SweepError, match=r"cannot reach a Ray cluster at 127\.0\.0\.1:1"):
        check_backend(Backend(ray=True, ray_address="127.0.0.1:1"))
    with pytest.raises(SweepError, match="HOST:PORT"):
        check_backend(Backend(ray=True, ray_address="no-port-here"))
