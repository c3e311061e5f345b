"""Lab grading speed: the warm sandbox against a fresh interpreter per submission.

Run with `.venv/bin/python -m benchmarks.labs_bench` (the lead wires `main()` into
`make bench`). For every lab in content/labs/ it grades the reference solution through
the warm engine (median and p95 over RUNS gradings), then through a fresh sandbox server
per submission (boot: import boto3 and moto, fork the zygotes; then grade once), and
finally counts sustained gradings per second with two engines (two server processes)
grading in parallel. Numbers are reported against the targets, never asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import p95 as _p95
from labs.sandbox import engine
from labs.submission_files import read_submission_dir

LABS_DIR = Path(__file__).resolve().parents[1] / "content" / "labs"
RUNS = 30
FRESH_RUNS = 3
SUSTAINED_SECONDS = 10.0
MEDIAN_TARGET_MS = 300.0
SPEEDUP_TARGET = 7.0
THROUGHPUT_TARGET = 6.0


def _labs() -> list[tuple[str, Path, dict[str, str]]]:
    found = []
    for lab in sorted(LABS_DIR.iterdir()):
        if (lab / "checks.py").is_file() and (lab / "solution").is_dir():
            found.append((lab.name, lab, read_submission_dir(lab / "solution")))
    return found


def _tree_cpu_ms(sandbox: engine.Engine) -> float:
    """CPU used so far by the sandbox server and everything it forked and reaped (the
    runtime zygote's share includes every runner and learner process it collected)."""
    assert sandbox.process is not None
    server = sandbox.process.pid
    with open(f"/proc/{server}/task/{server}/children") as handle:
        pids = [server, *map(int, handle.read().split())]
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def _grade_ms(sandbox: engine.Engine, lab: Path, files: dict[str, str]) -> float:
    started = time.perf_counter()
    result = sandbox.submit("grade", files, lab)
    elapsed = (time.perf_counter() - started) * 1000
    if result["status"] != "graded" or result["score"] != result["max_score"]:
        raise RuntimeError(f"{lab.name}: reference solution did not score full marks: {result}")
    return elapsed


def bench_warm(
    labs: list[tuple[str, Path, dict[str, str]]],
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Wall-clock samples per lab, and the CPU milliseconds one grading costs (all
    processes of the sandbox together; unlike wall time, this does not depend on load)."""
    sandbox = engine.Engine()
    sandbox.start()
    samples: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    try:
        for _name, lab, files in labs:  # one unmeasured run each: first-use imports in moto
            _grade_ms(sandbox, lab, files)
        for name, lab, files in labs:
            before = _tree_cpu_ms(sandbox)
            samples[name] = [_grade_ms(sandbox, lab, files) for _ in range(RUNS)]
            cpu[name] = (_tree_cpu_ms(sandbox) - before) / RUNS
        return samples, cpu
    finally:
        sandbox.stop()


def bench_fresh(labs: list[tuple[str, Path, dict[str, str]]]) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    for name, lab, files in labs:
        for _ in range(FRESH_RUNS):
            started = time.perf_counter()
            sandbox = engine.Engine()
            try:
                sandbox.start()
                _grade_ms(sandbox, lab, files)
            finally:
                sandbox.stop()
            samples.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return samples


def bench_sustained(
    labs: list[tuple[str, Path, dict[str, str]]], workers: int = 2
) -> tuple[int, float]:
    engines = [engine.Engine() for _ in range(workers)]
    for sandbox in engines:
        sandbox.start()
    counts = [0] * workers
    stop_at = time.perf_counter() + SUSTAINED_SECONDS

    def work(index: int) -> None:
        turn = index
        while time.perf_counter() < stop_at:
            _name, lab, files = labs[turn % len(labs)]
            _grade_ms(engines[index], lab, files)
            counts[index] += 1
            turn += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for sandbox in engines:
        sandbox.stop()
    return sum(counts), elapsed


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    labs = _labs()
    if not labs:
        print(f"no labs with a solution/ and checks.py under {LABS_DIR}")
        return 0
    print(f"Lab grading: {len(labs)} labs from {LABS_DIR} ({os.cpu_count()} CPUs)")
    load = os.getloadavg()[0]
    warm, cpu = bench_warm(labs)
    fresh = bench_fresh(labs)
    total, elapsed = bench_sustained(labs)
    width = max(len(name) for name, _, _ in labs)
    print(f"(load average {load:.1f} when the run started: wall times grow with load)")
    print(
        f"\n{'lab':<{width}}  {'runs':>4}  {'median ms':>9}  {'p95 ms':>8}  {'cpu ms':>6}  "
        f"{'fresh ms':>8}  {'speedup':>7}"
    )
    speedups = []
    for name, _, _ in labs:
        median = statistics.median(warm[name])
        fresh_median = statistics.median(fresh[name])
        speedups.append(fresh_median / median)
        print(
            f"{name:<{width}}  {len(warm[name]):>4}  {median:>9.1f}  {_p95(warm[name]):>8.1f}  "
            f"{cpu[name]:>6.0f}  {fresh_median:>8.1f}  {fresh_median / median:>6.1f}x"
        )
    worst_median = max(statistics.median(samples) for samples in warm.values())
    rate = total / elapsed
    print(
        f"\nsustained: {total} gradings in {elapsed:.1f} s with 2 engines = {rate:.1f} gradings/s"
    )
    print("\ntargets:")
    print(
        f"  median < {MEDIAN_TARGET_MS:.0f} ms per lab: worst {worst_median:.1f} ms  {_verdict(worst_median < MEDIAN_TARGET_MS)}"
    )
    print(
        f"  >= {SPEEDUP_TARGET:.0f}x faster than a fresh interpreter: lowest {min(speedups):.1f}x  {_verdict(min(speedups) >= SPEEDUP_TARGET)}"
    )
    print(
        f"  >= {THROUGHPUT_TARGET:.0f} gradings/s on two engines: {rate:.1f}  {_verdict(rate >= THROUGHPUT_TARGET)}"
    )
    return 0


def run(report: object = None) -> int:
    """Entry point for the lead's `make bench` runner; prints the same table as main()."""
    return main()


if __name__ == "__main__":
    sys.exit(main())
