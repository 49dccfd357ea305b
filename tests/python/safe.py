"""Programs for tests/safe.bats and bench/: python safe.py ROUTE SCENARIO [N].

Many short guards, each ending in an ExecutionTimeout that the program
catches and carries on; after each, the scenario checks that the standard
library's structures are still intact.  Prints one line of key=value.

ROUTE: pkg       libguard.time_guard(timeout_ms=1..3, interrupt_type=exception)
       shim      the shim's process guard (LIBGUARD_TIMEOUT, preloaded), reset
                 with guard_progress() before each delivery
       baseline  CPython's own: a SIGALRM handler that raises (setitimer,
                 0.05-2 ms), for bench/ to compare with
SCENARIO: condition | queue | logging | blocked | bounded | user | thread | tracers
"""
import os
import queue
import random
import signal
import sys
import threading
import time

ROUTE, NAME = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 500
LATE_S = 5.0  # a delivery later than this counts as lost (the next step is later still)

if ROUTE == "baseline":
    class Timeout(BaseException):
        pass

    def on_alarm(signum, frame):
        raise Timeout("baseline")

    signal.signal(signal.SIGALRM, on_alarm)

    class Armed:
        def __init__(self, lo_ms=0.05, hi_ms=2.0):
            self.delay = random.uniform(lo_ms, hi_ms) / 1e3

        def __enter__(self):
            self.deadline = time.monotonic() + self.delay
            signal.setitimer(signal.ITIMER_REAL, self.delay)

        def __exit__(self, *exc):
            signal.setitimer(signal.ITIMER_REAL, 0)
elif ROUTE == "pkg":
    import libguard
    Timeout = libguard.ExecutionTimeout

    class Armed:
        def __init__(self, lo_ms=1, hi_ms=3):
            self.ms = random.randint(int(lo_ms), int(hi_ms))
            self.guard = libguard.time_guard(timeout_ms=self.ms, grace_period=30,
                                             interrupt_type=libguard.exception)

        def __enter__(self):
            self.deadline = time.monotonic() + self.ms / 1e3
            self.guard.__enter__()

        def __exit__(self, *exc):
            self.guard.__exit__(*exc)
elif ROUTE == "shim":
    import ctypes
    _progress = ctypes.CDLL(None).guard_progress
    SHIM_TIMEOUT_S = float(os.environ["SAFE_TIMEOUT_S"])
    Timeout = None  # the shim's own class (no package imported), found by name

    class Armed:
        def __init__(self, lo_ms=0, hi_ms=0):
            pass

        def __enter__(self):
            # nothing but C calls after the progress: the exception may
            # come as early as the first Python function called
            self.deadline = time.monotonic() + SHIM_TIMEOUT_S
            _progress()

        def __exit__(self, *exc):
            pass
else:
    sys.exit("safe.py: ROUTE must be pkg, shim or baseline, not %r" % ROUTE)


def is_timeout(e):
    if Timeout is not None:
        return isinstance(e, Timeout)
    return type(e).__name__ == "ExecutionTimeout"


class Counts:
    delivered = 0
    lost = 0
    escaped = 0


counts = Counts()


def deliver(body, lo_ms=None, hi_ms=None):
    """One guard around body(), which loops until the exception comes: count
    it (delivered), or a lost one (none within LATE_S).  Returns the delay
    from the deadline to the exception, in seconds."""
    armed = Armed(*(x for x in (lo_ms, hi_ms) if x is not None))
    try:
        try:
            with armed:
                t0 = time.monotonic()
                body(t0)
            counts.lost += 1  # body returns only when nothing came in time
        except BaseException as e:
            if not is_timeout(e):
                raise
            counts.delivered += 1
            return time.monotonic() - armed.deadline
    except BaseException as e:  # raised outside the try: it escaped
        if not is_timeout(e):
            raise
        counts.escaped += 1
        counts.delivered += 1
    return None


def noop():
    pass


def start_thread(target):
    # Other threads leave SIGALRM to the main thread (the baseline's
    # setitimer signal is process-directed; libguard's goes to the thread).
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    t = threading.Thread(target=target, daemon=True)
    t.start()
    signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return t


# ---- scenarios ---------------------------------------------------------------

def sc_condition():
    lock = threading.Lock()
    cond = threading.Condition(lock)
    held = 0

    def body(t0):
        while time.monotonic() - t0 < LATE_S:
            with cond:
                pass
            noop()

    for _ in range(N):
        deliver(body)
        if lock.locked():
            held += 1
            lock.release()
    # still working: a notify reaches a waiter
    got = []

    def waiter():
        with cond:
            got.append(cond.wait(timeout=10))

    t = start_thread(waiter)
    while t.is_alive() and not got:
        with cond:
            cond.notify_all()
        t.join(0.01)
    return dict(locks_left_held=held, works=bool(got and got[0]))


def sc_queue():
    q = queue.Queue(maxsize=5)
    running = True

    def producer():
        i = 0
        while running:
            try:
                q.put(i, timeout=0.5)
            except queue.Full:
                pass
            i += 1

    for _ in range(3):
        start_thread(producer)

    def body(t0):
        while time.monotonic() - t0 < LATE_S:
            q.get()

    broken = 0
    broken_by = "-"
    errors = []
    for _ in range(N):
        try:
            deliver(body)
        except RuntimeError as e:  # "release unlocked lock": a lock left broken
            errors.append(str(e))
        # a mutex left held by this thread, or a broken queue, never comes back
        if not q.mutex.acquire(timeout=1.0):
            broken, broken_by = broken + 1, "mutex"
            break
        q.mutex.release()
        try:
            q.get(timeout=1.0)
        except queue.Empty:
            broken, broken_by = broken + 1, "empty(size=%d,waiting=%d)" % (
                q.qsize(), len(q.not_full._waiters))
            break
    running = False
    return dict(broken=broken, runtime_errors=len(errors), works=broken == 0 and not errors,
                broken_by=broken_by)


class Sink:
    def write(self, s):
        pass

    def flush(self):
        pass


def sc_logging():
    import logging
    log = logging.getLogger("safe")
    log.propagate = False
    h = logging.StreamHandler(Sink())
    log.addHandler(h)
    log.setLevel(logging.INFO)
    running = True
    done = [0]
    progressed = threading.Event()
    target = [None]

    def worker():
        while running:
            log.info("worker %d", done[0])
            done[0] += 1
            if target[0] is not None and done[0] >= target[0]:
                progressed.set()

    start_thread(worker)

    def body(t0):
        while time.monotonic() - t0 < LATE_S:
            log.info("main %s", "x")

    owned = 0
    for _ in range(N):
        deliver(body)
        if h.lock._is_owned():
            owned += 1
            while h.lock._is_owned():
                h.lock.release()
    target[0] = done[0] + 100
    works = progressed.wait(10)
    running = False
    return dict(handler_lock_left_owned=owned, works=works)


def sc_blocked():
    """The main thread blocked in Queue.get() on an empty queue nobody fills:
    the wait is cut short, the mutex is free after."""
    q = queue.Queue()
    delays = []
    held = 0

    def body(t0):
        try:
            q.get(timeout=LATE_S)
        except queue.Empty:
            pass

    for _ in range(N):
        d = deliver(body, 1, 3)
        if d is not None:
            delays.append(d)
        if not q.mutex.acquire(timeout=1.0):
            held += 1
            break
        q.mutex.release()
    delays.sort()
    r = dict(mutex_left_held=held, max_ms="%.3f" % (delays[-1] * 1e3 if delays else -1))
    if delays:
        r.update(p50_ms="%.3f" % (delays[len(delays) // 2] * 1e3),
                 p99_ms="%.3f" % (delays[int(len(delays) * .99)] * 1e3),
                 over_2ms=sum(x > 0.002 for x in delays))
    return r


def sc_bounded():
    """A pure-Python loop in a function the program marks protected: the
    exception still comes (forced at the bound)."""
    if ROUTE == "baseline":
        def spin(t0):
            while time.monotonic() - t0 < LATE_S:
                len(())
    else:
        @libguard.protected
        def spin(t0):
            while time.monotonic() - t0 < LATE_S:
                len(())
    delays = [d for d in (deliver(spin) for _ in range(N)) if d is not None]
    delays.sort()
    return dict(p50_ms="%.3f" % (delays[len(delays) // 2] * 1e3 if delays else -1),
                min_ms="%.3f" % (delays[0] * 1e3 if delays else -1))


def sc_user():
    """@protected and deferred(): two lists updated together are never cut."""
    a, b = [], []
    if ROUTE == "baseline":
        def protect(fn):
            return fn

        class section:
            def __enter__(self):
                pass

            def __exit__(self, *exc):
                pass
        deferred = section
    else:
        protect, deferred = libguard.protected, libguard.deferred

    @protect
    def both(i):
        a.append(i)
        noop()
        b.append(i)

    def body(t0):
        i = 0
        while time.monotonic() - t0 < LATE_S:
            if i & 1:
                both(i)
            else:
                with deferred():
                    a.append(i)
                    noop()
                    b.append(i)
            i += 1

    cut = 0
    for _ in range(N):
        deliver(body)
        if len(a) != len(b):
            cut += 1
        del a[:], b[:]
    return dict(sections_cut=cut)


def sc_thread():
    """The guard in a worker thread (the package's helper thread raises it
    there): the Condition loop."""
    lock = threading.Lock()
    cond = threading.Condition(lock)
    result = {}

    def body(t0):
        while time.monotonic() - t0 < LATE_S:
            with cond:
                pass
            noop()

    def worker():
        held = 0
        for _ in range(N):
            deliver(body)
            if lock.locked():
                held += 1
                lock.release()
        result["locks_left_held"] = held

    t = start_thread(worker)
    t.join()
    return result


def sc_tracers():
    """A guard in a worker thread, deferred (a loop in @protected code,
    forced at the bound), while two other threads have the program's own
    tracers (sys.settrace) and are blocked: each keeps its tracer, which
    still sees the calls made after the deliveries."""
    seen = {"main": set(), "observer": set()}

    def tracer_for(name):
        def trace(frame, event, arg):
            if event == "call":
                seen[name].add(frame.f_code.co_name)
        return trace

    ready, go, result = threading.Event(), threading.Event(), {}

    def probe_observer():
        pass

    def probe_main():
        pass

    def observer():
        sys.settrace(tracer_for("observer"))
        ready.set()
        go.wait()
        probe_observer()
        result["observer"] = sys.gettrace() is not None and "probe_observer" in seen["observer"]

    @libguard.protected
    def spin(t0):
        while time.monotonic() - t0 < LATE_S:
            len(())

    def worker():
        for _ in range(N):
            deliver(spin)

    t_observer = start_thread(observer)
    ready.wait()
    sys.settrace(tracer_for("main"))
    start_thread(worker).join()
    probe_main()
    kept_main = sys.gettrace() is not None and "probe_main" in seen["main"]
    sys.settrace(None)
    go.set()
    t_observer.join()
    return dict(main_tracer_kept=kept_main, observer_tracer_kept=result.get("observer"))


SCENARIOS = dict(condition=sc_condition, queue=sc_queue, logging=sc_logging,
                 blocked=sc_blocked, bounded=sc_bounded, user=sc_user, thread=sc_thread,
                 tracers=sc_tracers)


def main():
    random.seed(int(os.environ.get("SAFE_SEED", "1")))
    t0 = time.monotonic()
    res = SCENARIOS[NAME]()
    res.update(delivered=counts.delivered, lost=counts.lost, escaped=counts.escaped,
               seconds="%.1f" % (time.monotonic() - t0))
    print("%s %s %s %s" % (sys.version.split()[0], ROUTE, NAME,
                           " ".join("%s=%s" % kv for kv in res.items())), flush=True)
    os._exit(0)  # threads may be stuck on a broken lock (the baseline's)


if __name__ == "__main__":
    main()
