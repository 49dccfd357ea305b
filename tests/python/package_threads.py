"""package.py's programs for guards in other threads than the main one."""
import sys
import threading
import time

from libguard import ExecutionTimeout, InterruptType, time_guard
from package_common import name_of, ms, say, spin, tick


# ---- threads --------------------------------------------------------------------

def threads():
    results = {}

    def worker(i):
        t0 = time.monotonic()
        try:
            with time_guard(timeout_ms=200 + 100 * i):
                spin(5)
            results[i] = "nothing"
        except ExecutionTimeout:
            results[i] = ms(t0)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    try:
        while any(t.is_alive() for t in ts):
            tick()
            time.sleep(0.01)
        say("MAIN", "untouched")
    except BaseException as e:
        say("MAIN", "got", name_of(e))
    for t in ts:
        t.join()
    for i in sorted(results):
        say("THREAD", i, results[i])
    say("ALL", ms(t0))


def switch_interval():
    """CPython hands the GIL over only every switch interval; the exception
    for a busy thread must not wait for it, and the program's interval must
    be the same afterwards."""
    sys.setswitchinterval(1.0)
    late = []

    def worker():
        t0 = time.monotonic()
        try:
            with time_guard(timeout_ms=200):
                spin(5)
        except ExecutionTimeout:
            late.append(ms(t0) - 200)

    for _ in range(3):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    say("LATE", max(late), len(late))
    say("INTERVAL", sys.getswitchinterval())


def thread_signal():
    """A signal step of a guard in another thread: Python handles it in the
    main thread (KeyboardInterrupt there)."""
    done = threading.Event()

    def worker():
        try:
            with time_guard(timeout_ms=200, interrupt_type=InterruptType.signal):
                spin(1.5)
        finally:
            done.set()

    t = threading.Thread(target=worker)
    t.start()
    try:
        while not done.is_set():
            tick()
            time.sleep(0.01)
        say("MAIN", "nothing")
    except KeyboardInterrupt:
        say("MAIN", "KeyboardInterrupt")
    t.join()
