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


def die_on_seven_and_once_on_five(task, shared):
    """Task 7 kills its worker every time; task 5 only the first time (a mark remembers)."""
    mark = os.path.join(shared["marks"], str(task))
    if task == 7 or (task == 5 and not os.path.exists(mark)):
        open(mark, "w").close()
        os._exit(1)
    return task


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # one local Ray at a time, on one test worker
def test_a_task_whose_ray_worker_dies_runs_again_then_is_named(local_ray, tmp_path):
    results = {}
    failures = run_sweep(
        die_on_seven_and_once_on_five,
        list(range(9)),
        backend=Backend(ray=True),
        shared={"marks": str(tmp_path)},
        on_result=results.__setitem__,
        progress=False,
    )
    assert results == {t: t for t in range(9) if t != 7}
    assert [f.task for f in failures] == [7]
    assert failures[0].message == "Ray lost it: WorkerCrashedError"


def count_to_three(task, shared, report):
    """A task that reports its progress: 1, 2, 3, then returns."""
    for step in (1, 2, 3):
        report(step)
    return task


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_reports_reach_the_caller_tagged_with_their_task(workers):
    heard = []
    results = {}
    failures = run_sweep(
        count_to_three,
        ["a", "b", "c"],
        backend=Backend(workers=workers),
        on_result=results.__setitem__,
        on_progress=lambda task, message: heard.append((task, message)),
        progress=False,
    )
    assert not failures and results == {"a": "a", "b": "b", "c": "c"}
    for task in "abc":  # in order within a task, wherever it ran
        assert [m for t, m in heard if t == task] == [1, 2, 3]


@pytest.mark.slow
def test_progress_reports_reach_the_caller_from_ray(local_ray):
    heard = []
    failures = run_sweep(
        count_to_three,
        ["a", "b"],
        backend=Backend(ray=True),
        on_result=lambda task, result: None,
        on_progress=lambda task, message: heard.append((task, message)),
        progress=False,
    )
    assert not failures
    for task in "ab":
        assert [m for t, m in heard if t == task] == [1, 2, 3]


def test_bad_backends_are_refused_before_any_work():
    with pytest.raises(SweepError, match="--workers must be at least 1"):
        check_backend(Backend(workers=0))
    pytest.importorskip("ray")
    with pytest.raises(SweepError, match=r"cannot reach a Ray cluster at 127\.0\.0\.1:1"):
        check_backend(Backend(ray=True, ray_address="127.0.0.1:1"))
    with pytest.raises(SweepError, match="HOST:PORT"):
        check_backend(Backend(ray=True, ray_address="no-port-here"))


def _serve(handle):
    """A TCP server on a free local port running `handle(connection)` per client."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def loop():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                handle(conn)

    threading.Thread(target=loop, daemon=True).start()
    return server


@pytest.mark.parametrize(
    "behaviour",
    [
        "silent",  # accepts and never answers: ray.init waited for minutes
        "http",  # a web server
    ],
)
@pytest.mark.slow
def test_an_open_port_that_is_not_ray_is_refused_within_seconds(behaviour):
    import time

    def silent(conn):
        time.sleep(8)

    def http(conn):
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    server = _serve(silent if behaviour == "silent" else http)
    port = server.getsockname()[1]
    started = time.monotonic()
    try:
        with pytest.raises(SweepError) as error:
            check_backend(Backend(ray=True, ray_address=f"127.0.0.1:{port}"))
    finally:
        server.close()
    assert time.monotonic() - started < 15
    assert str(error.value).startswith(
        f"127.0.0.1:{port} answers, but not as a Ray cluster does (no gRPC there)"
    )


def test_a_grpc_server_passes_the_address_check():
    grpc = pytest.importorskip("grpc")
    from concurrent.futures import ThreadPoolExecutor

    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        check_backend(Backend(ray=True, ray_address=f"127.0.0.1:{port}"))
    finally:
        server.stop(None)
