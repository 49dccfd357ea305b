"""Programs for tests/package.bats: python package.py NAME [ARG...].

The behaviour suite of the `libguard` package (resiliparse.process_guard's
API).  Each program prints lines "WORD ..." that the bats file checks; times
are milliseconds since the guard was entered (or since the last progress).
Loops call a function in their body: an exception at a bare while back-edge
can escape try on 3.11+ (gh-108214).
"""
import os
import pickle
import signal
import sys
import time

if sys.argv[1:3] == ["own_signal", "before"]:  # the program's before the import
    signal.signal(signal.SIGURG, lambda n, f: None)

from libguard import (ExecutionTimeout, InterruptType, mem_guard, progress,  # noqa: E402
                      time_guard)
from package_common import ms, name_of, say, spin  # noqa: E402

# The programs, by theme; those that must live in __main__ (their module's
# name is printed, or they are pickled from it) are below, and so is the one
# timed from the start of the process (nothing imported before it runs).
PROGRAM_MODULES = ("package_exceptions", "package_memory", "package_threads",
                   "package_signals")


# ---- reuse, decorator, context manager ------------------------------------------

GUARD = time_guard(timeout_ms=100, interrupt_type=InterruptType.exception)


@GUARD
def guarded_work(x):
    """Docstring of guarded_work."""
    try:
        spin(5)
    except ExecutionTimeout:
        return x * 2
    return None


def reuse():
    caught = 0
    for _ in range(5):
        try:
            with GUARD:
                spin(5)
        except ExecutionTimeout:
            caught += 1
    results = [guarded_work(i) for i in range(5)]
    say("CM", caught)
    say("DECORATED", results)
    say("NAME", guarded_work.__name__, guarded_work.__qualname__, guarded_work.__module__)
    say("DOC", guarded_work.__doc__)
    # a guard that was left never fires
    spin(0.4)
    say("AFTER")


class Thing:
    @time_guard(timeout_ms=100)
    def method(self, x):
        try:
            spin(5)
        except ExecutionTimeout:
            return (type(self).__name__, x)


def method():
    say("METHOD", Thing().method(3))


# ---- pickling -------------------------------------------------------------------

@time_guard(timeout_ms=200)
def work(x):
    """Times out, says so."""
    try:
        spin(5)
    except ExecutionTimeout:
        return ("timeout", x, os.getpid())
    return ("none", x)


def pickling(method="spawn"):
    import multiprocessing
    back = pickle.loads(pickle.dumps(work))
    say("ROUNDTRIP", back.__name__, back.__doc__, back(7)[:2])
    import importlib
    mod = importlib.import_module("package_helper")  # an importable module: by reference
    say("BYREF", pickle.loads(pickle.dumps(mod.helper_work)) is mod.helper_work)
    g = pickle.loads(pickle.dumps(time_guard(timeout=3, grace_period_ms=250,
                                             interrupt_type=InterruptType.signal)))
    say("GUARD", repr(g))
    m = pickle.loads(pickle.dumps(mem_guard(4096, absolute=False)))
    say("GUARD", repr(m))
    e = pickle.loads(pickle.dumps(ExecutionTimeout("x")))
    say("EXC", type(e) is ExecutionTimeout, e)
    with multiprocessing.get_context(method).Pool(2) as pool:
        got = pool.map(work, [1, 2, 3])
    say("POOL", [r[:2] for r in got], "in", "parent" if os.getpid() in [r[2] for r in got] else "children")


def pool_task(x):
    """x < 0 runs away; else it sleeps x seconds.  A guard per task."""
    try:
        with time_guard(timeout_ms=1600):
            spin(30) if x < 0 else time.sleep(x)
        return ("done", x, os.getpid())
    except ExecutionTimeout:
        return ("timeout", x, os.getpid())


def wait_reporting_progress(result):
    while not result.ready():
        progress()  # the process guard of the parent, from the shim
        result.wait(0.05)
    return result.get()


def pool(method):
    """A pool under the shim's process guard with LIBGUARD_CHILDREN=none:
    workers idle longer than the budget, a task sleeps longer than it, a
    runaway task times out inside its worker, the pool carries on."""
    import multiprocessing
    with multiprocessing.get_context(method).Pool(2) as p:
        first = wait_reporting_progress(p.map_async(pool_task, [0.05, 0.05]))
        idle_until = time.monotonic() + 1.3  # the workers wait for work
        while time.monotonic() < idle_until:
            progress()
            time.sleep(0.05)
        second = wait_reporting_progress(p.map_async(pool_task, [-1, 1.2, 0.05]))
    say("RESULTS", *["%s:%s" % r[:2] for r in first + second])
    say("IN", "parent" if os.getpid() in [r[2] for r in first + second] else "workers")


# ---- cloudpickle ---------------------------------------------------------------

def cloudpickled():
    """A Dask/PySpark driver: cloudpickle sends a guarded function of
    __main__ by value; a fresh interpreter (no such __main__) runs it."""
    import subprocess
    import cloudpickle
    blob = cloudpickle.dumps(work)
    out = subprocess.run([sys.executable, "-c",
                          "import pickle, sys; f = pickle.loads(sys.stdin.buffer.read()); "
                          "print(f.__name__, f(5)[:2])"],
                         input=blob, capture_output=True)
    say("CLOUD", out.stdout.decode().strip(), out.returncode, out.stderr.decode()[-300:])


# ---- the shim's process guard -----------------------------------------------------

def shim():
    """Run with LD_PRELOAD=libguard.so LIBGUARD_TIMEOUT=0.4."""
    t0 = time.monotonic()
    for _ in range(10):  # 1 s: progress() reaches the process guard
        time.sleep(0.1)
        progress()
    say("PROGRESSED", ms(t0))
    t0 = time.monotonic()
    try:
        time.sleep(5)
    except ExecutionTimeout as e:
        say("EXC", ms(t0), type(e).__module__ + "." + name_of(e), type(e) is ExecutionTimeout)


def program(name):
    if name in globals():
        return globals()[name]
    import importlib
    for module in PROGRAM_MODULES:
        found = getattr(importlib.import_module(module), name, None)
        if found:
            return found
    raise SystemExit("package.py: no program %r" % name)


if __name__ == "__main__":
    program(sys.argv[1])(*sys.argv[2:])
