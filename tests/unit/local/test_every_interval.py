"""The local stack's stand-in for an EventBridge rate rule (the schedule mirror's reconcile)."""

from __future__ import annotations

import threading

from local.scheduler_pump import EveryInterval


def test_it_runs_again_after_a_failed_run_and_stops_when_asked():
    runs: list[int] = []
    third = threading.Event()

    def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the provider is down")
        if len(runs) >= 3:
            third.set()

    every = EveryInterval(job, 0.01, name="test")
    every.start()
    assert third.wait(5), "the job should have run three times"
    every.stop()
    stopped_at = len(runs)
    assert not every._thread.is_alive()
    threading.Event().wait(0.05)  # five intervals: a runner still going would run again
    assert len(runs) == stopped_at
