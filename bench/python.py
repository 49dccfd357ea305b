"""bench/python.py [--quick]: what the libguard package costs, beside baselines.

Prints "figure<TAB>value<TAB>baseline or target" lines for bench/run.  Per-operation times are the
median over repeats of a timed loop, minus the same loop with an empty body
(so they are the operation alone).  Latencies are from the deadline to the
exception arriving in the guarded code."""
import statistics
import sys
import threading
import time

import libguard
from libguard import ExecutionTimeout, progress, time_guard

quick = "--quick" in sys.argv
N = 100_000 if quick else 400_000
REPEATS = 7 if quick else 21


class Trivial:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def empty():
    pass


def per_op(body_source, setup):
    """Median ns per operation of body_source (loop overhead removed)."""
    code = compile("def run(n):\n    for _ in range(n):\n        %s\n" % body_source, "bench", "exec")
    loop = compile("def run(n):\n    for _ in range(n):\n        pass\n", "bench", "exec")
    ns, ns_empty = dict(setup), dict(setup)
    exec(code, ns)
    exec(loop, ns_empty)
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter_ns()
        ns_empty["run"](N)
        t1 = time.perf_counter_ns()
        ns["run"](N)
        t2 = time.perf_counter_ns()
        times.append(((t2 - t1) - (t1 - t0)) / N)
    return statistics.median(times)


def line(label, value, baseline):
    print("%s\t%s\t%s" % (label, value, baseline), flush=True)


def stats(values):
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99 + 0.999) - 1)]
    return "%.3f %.3f %.3f" % (statistics.median(values), p99, values[-1])


def spin_until_interrupted(limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        empty()


def latency(where, runs):
    """ms from the deadline to the exception, in a busy loop or in sleep."""
    out = []
    timeout = 0.05
    for _ in range(runs):
        t0 = time.monotonic()
        try:
            with time_guard(timeout_ms=int(timeout * 1000)):
                if where == "sleep":
                    time.sleep(5)
                else:
                    spin_until_interrupted(5)
        except ExecutionTimeout:
            out.append((time.monotonic() - t0 - timeout) * 1000)
    return out


def thread_latency(runs):
    res = []
    t = threading.Thread(target=lambda: res.extend(latency("busy", runs)))
    t.start()
    t.join()
    return res


g = time_guard(timeout=3600)
setup = {"g": g, "progress": progress, "Trivial": Trivial(), "empty": empty}
trivial = per_op("with Trivial: pass", setup)
call = per_op("empty()", setup)
py = "Python %d.%d" % sys.version_info[:2]
line("%s: with guard: pass (enter + leave, ns)" % py, "%.0f" % per_op("with g: pass", setup),
     "< 1000; trivial Python context manager %.0f" % trivial)
with g:
    for what in ("g.progress()", "progress(g)", "progress()"):
        line("%s: %s in a guard (ns)" % (py, what), "%.0f" % per_op(what, setup),
             "< 100; empty Python call %.0f" % call)
runs = 10 if quick else 40
line("%s: deadline -> ExecutionTimeout, main thread busy (ms p50 p99 max)" % py,
     stats(latency("busy", runs)), "< 2 ms")
line("%s: deadline -> ExecutionTimeout, main thread in sleep (ms p50 p99 max)" % py,
     stats(latency("sleep", runs)), "< 2 ms")
line("%s: deadline -> ExecutionTimeout, other thread busy (ms p50 p99 max)" % py,
     stats(thread_latency(runs)), "< 2 ms")
