"""DEMONSTRATION ONLY (not a test, not part of the build): delivering an
asynchronous exception only at safe points, in pure Python, on CPython
3.8-3.13.  doc/safe-delivery.md explains the design; safe_delivery_rule.py
is the rule and its delivery, and this file the scenarios that measure it
against a plain raising handler (baseline).

    python3 safe_delivery_demo.py MODE SCENARIO [N]
    MODE: baseline | safe     N: deliveries (default 500)
    SCENARIO: condition | queue | logging | futures | blocked | bounded | user |
    thread
    DEMO_POLL=1: the thread scenario looks and retries without a tracer
    DEMO_WATCHDOG=S: dump the stacks and exit after S seconds (default 60)
Prints one line: key=value figures.  Takes 1-30 s per run on a loaded box.
"""
import faulthandler
import logging
import os
import queue
import random
import signal
import sys
import threading
import time
import types
import ctypes

# The rule and its delivery (importing it installs the SIGALRM handler).
from safe_delivery_rule import (BOUND_S, HURRY_S, TRACED, Timeout, arm, deferred,
                                handler_may_raise, noop, protected, state, tracer)


# ---- scenarios --------------------------------------------------------------

def start_thread(target):
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    threading.Thread(target=target, daemon=True).start()
    signal.pthread_sigmask(signal.SIG_SETMASK, old)


def sc_condition(n):
    lock = threading.Lock()
    cond = threading.Condition(lock)
    held = escaped = 0
    for _ in range(n):
        try:
            try:
                arm()
                while True:
                    with cond:
                        pass
                    noop()  # a call in the body (the back-edge note in the design)
            except Timeout:
                pass
        except Timeout:
            escaped += 1
        if lock.locked():
            held += 1
            lock.release()
    return dict(locks_left_held=held, escaped_try=escaped)


def sc_queue(n):
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
    got = delivered = 0
    broken_at = None
    for k in range(n):
        try:
            arm()
            while True:
                q.get()
                got += 1
        except Timeout:
            delivered += 1
        # A mutex left held by this thread (or a broken queue) never comes back.
        if not q.mutex.acquire(timeout=1.0):
            broken_at = k + 1
            break
        q.mutex.release()
        try:
            q.get(timeout=1.0)
        except queue.Empty:
            broken_at = k + 1
            break
    running = False
    return dict(delivered=delivered, broken_after=broken_at or "never", items=got)


class Sink:
    def write(self, s):
        pass

    def flush(self):
        pass


def sc_logging(n):
    log = logging.getLogger("demo")
    log.propagate = False
    h = logging.StreamHandler(Sink())
    log.addHandler(h)
    log.setLevel(logging.INFO)
    running = True
    worker_count = [0]

    def worker():
        while running:
            log.info("worker %d", worker_count[0])
            worker_count[0] += 1

    start_thread(worker)
    owned = 0
    for _ in range(n):
        try:
            arm()
            while True:
                log.info("main %s", "x")
        except Timeout:
            pass
        if h.lock._is_owned():
            owned += 1
            while h.lock._is_owned():
                h.lock.release()
    before = worker_count[0]
    time.sleep(0.05)
    running = False
    return dict(handler_lock_left_owned=owned,
                worker_progressed=worker_count[0] > before)


def sc_futures(n):
    """ThreadPoolExecutor: the main thread submits and waits for results."""
    import concurrent.futures as cf
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    ex = cf.ThreadPoolExecutor(2)  # its workers start with SIGALRM blocked
    ex.submit(noop).result()
    ex.submit(noop).result()
    signal.pthread_sigmask(signal.SIG_SETMASK, old)
    broken_at = None
    for k in range(n):
        try:
            arm()
            while True:
                ex.submit(noop).result()
        except Timeout:
            pass
        ok = ex._shutdown_lock.acquire(timeout=1.0)
        if ok:
            ex._shutdown_lock.release()
        try:
            ex.submit(noop).result(timeout=1.0)
        except cf.TimeoutError:
            ok = False
        if not ok:
            broken_at = k + 1
            break
    return dict(broken_after=broken_at or "never")


def sc_blocked(n):
    """Main thread blocked in Queue.get() on an empty queue: delay from the
    deadline to the exception."""
    q = queue.Queue()
    lat = []
    for _ in range(n):
        try:
            arm(0.5, 3.0)
            q.get()
        except Timeout:
            lat.append(time.perf_counter() - state.deadline)
        assert q.mutex.acquire(timeout=1.0), "mutex left held"
        q.mutex.release()
    lat.sort()
    ms = lambda x: "%.3f" % (x * 1e3)
    return dict(p50_ms=ms(lat[len(lat) // 2]), p99_ms=ms(lat[int(len(lat) * .99)]),
                max_ms=ms(lat[-1]), over_2ms=sum(x > 0.002 for x in lat))


def sc_bounded(n):
    """A pure-Python loop inside a protected module: the exception still
    comes, BOUND_S after the deadline, and is counted as forced."""
    mod = types.ModuleType("protected_spin")
    exec("def spin():\n    x = 0\n    while True:\n        x += 1\n        len(())\n",
         mod.__dict__)
    lat = []
    for _ in range(n):
        try:
            arm(0.5, 2.0)
            mod.spin()
        except Timeout:
            lat.append(time.perf_counter() - state.deadline)
    lat.sort()
    ms = lambda x: "%.3f" % (x * 1e3)
    return dict(p50_ms=ms(lat[len(lat) // 2]), max_ms=ms(lat[-1]),
                min_ms=ms(lat[0]))


def sc_user(n):
    """@protected and deferred(): two structures updated together."""
    a, b = [], []

    @protected
    def both(i):
        a.append(i)
        noop()
        b.append(i)

    cut = 0
    for _ in range(n):
        try:
            arm()
            i = 0
            while True:
                if i & 1:
                    both(i)
                else:
                    with deferred():
                        a.append(i)
                        noop()
                        b.append(i)
                i += 1
        except Timeout:
            pass
        if len(a) != len(b):
            cut += 1
            del a[len(b):], b[len(a):]
    return dict(sections_cut=cut)


def set_async_exc(ident):
    return ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                                      ctypes.py_object(Timeout))


def deliver_to_thread(ident):
    """libguard's helper thread, in Python: with the GIL held (here: a huge
    switch interval so this thread keeps it), look at the target's stack and
    call SetAsyncExc only at a point where handler_may_raise holds; else let
    the target run 100 us and look again.  A target that keeps moving inside
    protected code for BOUND_S gets it anyway (counted as forced); one that
    sits still there (blocked outside a wait site) waits for the next step."""
    t0 = time.perf_counter()
    last = None
    hurried = sys.getswitchinterval()
    sys.setswitchinterval(HURRY_S)  # libguard's hurry_gil: look often
    while True:
        sys.setswitchinterval(1000)  # keep the GIL from look to SetAsyncExc
        try:
            f = sys._current_frames().get(ident)
            where = f and (f.f_code, f.f_lasti)
            moving = where != last
            late = time.perf_counter() - t0 >= BOUND_S
            if f is None or handler_may_raise(f) or (late and moving):
                set_async_exc(ident)
                if f is not None and not handler_may_raise(f):
                    state.forced += 1
                sys.setswitchinterval(hurried)
                return time.perf_counter() - t0
            last = where
        finally:
            if sys.getswitchinterval() == 1000:
                sys.setswitchinterval(HURRY_S)
        time.sleep(HURRY_S)


_api = ctypes.pythonapi
_api.PyThreadState_Get.restype = ctypes.c_void_p
_api.PyThreadState_Swap.restype = ctypes.c_void_p
_api.PyThreadState_Swap.argtypes = [ctypes.c_void_p]


def deliver_to_thread_traced(ident, tstate):
    """What libguard's helper should do (in C): with the GIL held, look; at a
    safe point SetAsyncExc; else give the TARGET thread the tracer (switch to
    its thread state, set the trace function, switch back) and let it raise
    at its first safe point, exactly as the main thread does."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1000)  # keep the GIL from look to decision
    try:
        f = sys._current_frames().get(ident)
        if f is None or handler_may_raise(f):
            set_async_exc(ident)
            return 0.0
        state.pending = True
        state.since = time.perf_counter()
        state.deferred_n += 1
        state.opcodes = 0
        state.saved_trace = None
        while f is not None:
            f.f_trace = tracer
            f.f_trace_opcodes = True
            state.traced.append(f)
            f = f.f_back
        state.target = ident
        if sys.version_info >= (3, 12):
            # Swapping thread states under a running eval loop crashes 3.12+
            # (in C it is fine: no eval loop of ours); their own route:
            threading.settrace_all_threads(tracer)
        else:
            mine = _api.PyThreadState_Swap(tstate)
            sys.settrace(tracer)  # the current thread state is the target's
            _api.PyThreadState_Swap(mine)
        return None
    finally:
        sys.setswitchinterval(old)


def sc_thread(n):
    """The exception for a thread that is not the main one: SetAsyncExc from
    a helper (baseline: at once; safe: deliver_to_thread)."""
    lock = threading.Lock()
    cond = threading.Condition(lock)
    got = threading.Semaphore(0)
    held = [0]
    ident = []

    def worker():
        ident.append((threading.get_ident(), _api.PyThreadState_Get()))
        while True:
            try:
                while True:
                    with cond:
                        pass
                    noop()
            except Timeout:
                if lock.locked():
                    held[0] += 1
                    lock.release()
                got.release()

    start_thread(worker)
    while not ident:
        time.sleep(0.001)
    lost, waits = 0, []
    for _ in range(n):
        time.sleep(random.uniform(0.05, 2.0) / 1e3)
        if state.mode_safe and TRACED:
            deliver_to_thread_traced(*ident[0])
        elif state.mode_safe:
            waits.append(deliver_to_thread(ident[0][0]))
        else:
            set_async_exc(ident[0][0])
        if not got.acquire(timeout=2.0):
            lost += 1
    r = dict(locks_left_held=held[0], lost=lost)
    if waits:
        waits.sort()
        r.update(wait_p50_us="%.0f" % (waits[len(waits) // 2] * 1e6),
                 wait_max_us="%.0f" % (waits[-1] * 1e6))
    return r


SCENARIOS = dict(thread=sc_thread, futures=sc_futures, condition=sc_condition, queue=sc_queue, logging=sc_logging,
                 blocked=sc_blocked, bounded=sc_bounded, user=sc_user)


def dump_state(signum, frame):
    print("pending=%s deferred=%d how=%s trace=%s" % (
        state.pending, state.deferred_n, state.how, sys.gettrace()), file=sys.stderr)
    while frame is not None:
        print("  %s %s f_trace=%s" % (frame.f_code.co_name, frame.f_lasti, frame.f_trace),
              file=sys.stderr)
        frame = frame.f_back
    os._exit(3)


def main():
    signal.signal(signal.SIGUSR1, dump_state)
    # Other threads must not take the process-directed SIGALRM (libguard
    # uses tgkill to the main thread): they start with it blocked.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    faulthandler.dump_traceback_later(float(os.environ.get("DEMO_WATCHDOG", 60)), exit=True)
    mode, name = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    state.mode_safe = mode == "safe"
    random.seed(1)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
    t0 = time.perf_counter()
    res = SCENARIOS[name](n)
    res["seconds"] = "%.1f" % (time.perf_counter() - t0)
    if state.mode_safe:
        res.update(immediate=state.immediate, deferred=state.deferred_n,
                   forced=state.forced, how=",".join(
                       "%s:%d" % kv for kv in sorted(state.how.items())))
        d = sorted(x for x in state.defer_times if x > 0)
        if d:
            res["deferral_p50_us"] = "%.0f" % (d[len(d) // 2] * 1e6)
            res["deferral_max_us"] = "%.0f" % (d[-1] * 1e6)
    print("%s %s %s %s" % (sys.version.split()[0], mode, name,
                           " ".join("%s=%s" % kv for kv in res.items())), flush=True)
    os._exit(0)  # daemon threads may be stuck on a broken lock (baseline)


if __name__ == "__main__":
    main()
