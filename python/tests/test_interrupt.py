"""Long runs release the GIL, report progress, and stop cleanly on Ctrl-C."""

import os
import signal
import threading
import time

import pytest

import dofleet

# Many short runs: long enough in all to be interrupted well before the end.
MANY = {"duration": "1min", "replications": 400, "architectures": ["thin"], "workload": {"tenants": 500}}


def test_progress_is_reported_until_the_end():
    seen = []
    results = dofleet.run(dict(MANY, replications=6), progress=lambda done, total, requests: seen.append((done, total, requests)))
    assert seen[-1][0] == seen[-1][1] == results.runs_total == 6
    assert seen[-1][2] == results.simulated_requests > 0
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)


def test_ctrl_c_stops_the_run_and_raises_keyboard_interrupt():
    seen, sent = [], []

    def progress(done, total, requests):
        seen.append(done)
        if done >= 1 and not sent:
            sent.append(done)
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        dofleet.run(MANY, threads=2, progress=progress)
    # Stopped long before the end: the runs in progress finished, no more.
    assert 1 <= seen[-1] < 400
    # The interpreter and the package are fine afterwards.
    assert dofleet.run(dict(MANY, replications=2), progress=False).runs_done == 2


def test_an_exception_in_the_progress_callback_stops_the_run():
    def progress(done, total, requests):
        if done >= 1:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        dofleet.run(MANY, threads=2, progress=progress)


def test_the_gil_is_released_while_running():
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        dofleet.run(dict(MANY, replications=20), progress=False)
    finally:
        stop.set()
        counter.join()
    assert len(ticks) > 10


# A plan of many candidates, each of many replications: a minute or more.
LONG_PLAN = {"duration": "1h", "replications": 30, "architectures": ["traditional"], "workload": {"tenants": 2000}}


def test_ctrl_c_stops_a_plan_within_seconds():
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            dofleet.plan(LONG_PLAN, slo="p99<=1ms", search="hosts", threads=2)
    finally:
        timer.cancel()
    # The interrupt came after 1 s; no candidate starts after it, and one
    # replication of this plan takes well under a second.
    assert time.monotonic() - started < 6.0
    # The interpreter and the package are fine afterwards.
    assert dofleet.run(dict(MANY, replications=2), progress=False).runs_done == 2
