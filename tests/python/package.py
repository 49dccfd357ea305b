"""Programs for tests/package.bats: python package.py NAME [ARG...].

The behaviour suite of the `libguard` package (resiliparse.process_guard's
API).  Each program prints lines "WORD ..." that the bats file checks; times
are milliseconds since the guard was entered (or since the last progress).
Loops call a function in their body: an exception at a bare while back-edge
can escape try on 3.11+ (gh-108214).
"""
import os
import pickle
import select
import signal
import sys
import threading
import time

if sys.argv[1:3] == ["own_signal", "before"]:  # the program's before the import
    signal.signal(signal.SIGURG, lambda n, f: None)

import libguard  # noqa: E402
from libguard import (ExecutionTimeout, InterruptType, MemGuard, MemoryLimitExceeded,
                      ResiliparseGuardException, TimeGuard, mem_guard, progress,
                      progress_loop, time_guard)


def say(*words):
    print(*words, flush=True)


def ms(t0):
    return int((time.monotonic() - t0) * 1000)


def tick():
    pass


def spin(seconds):
    """Busy for `seconds` (a call in the body: gh-108214)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        tick()


def name_of(e):
    return type(e).__name__


# ---- one exception, busy or blocked -------------------------------------------

def busy(kind="exception_then_signal"):
    t0 = time.monotonic()
    try:
        with time_guard(timeout_ms=300, interrupt_type=InterruptType[kind]):
            spin(10)
        say("NOTHING")
    except ExecutionTimeout as e:
        say("EXC", ms(t0), type(e).__module__ + "." + name_of(e))
        say("MRO", ",".join(c.__name__ for c in type(e).__mro__))
    spin(0.5)  # nothing after leaving
    say("AFTER")


def blocked(how):
    r, w = os.pipe()
    t0 = time.monotonic()
    try:
        with time_guard(timeout_ms=300):
            if how == "sleep":
                time.sleep(10)
            elif how == "select":
                select.select([r], [], [], 10)
            elif how == "read":
                os.read(r, 1)
        say("NOTHING")
    except ExecutionTimeout as e:
        say("EXC", ms(t0), name_of(e))
    say("AFTER")


def signal_type():
    t0 = time.monotonic()
    try:
        with time_guard(timeout_ms=300, interrupt_type=InterruptType.signal):
            spin(10)
    except KeyboardInterrupt:
        say("KBI", ms(t0))
    say("AFTER")


# ---- escalation with the interrupts ignored ------------------------------------

def escalate(kind, handlers="handlers", kill="nokill"):
    """Ignore every step: print each one as "STEP <what> <ms>"."""
    events = []
    t0 = time.monotonic()
    if handlers == "handlers":
        def note(n, f):
            events.append(signal.Signals(n).name)
            say("STEP", events[-1], ms(t0))
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, note)
    g = time_guard(timeout_ms=200, grace_period_ms=200, interrupt_type=InterruptType[kind],
                   send_kill=(kill == "kill"))
    end = t0 + 5
    def busy_until():  # its back-edge in a frame of its own (gh-108214)
        while len(events) < 3 and time.monotonic() < end:
            tick()

    with g:
        while len(events) < 3 and time.monotonic() < end:
            try:
                busy_until()
            except (ExecutionTimeout, KeyboardInterrupt) as e:
                events.append(name_of(e))
                say("STEP", name_of(e), ms(t0))
    spin(0.8)  # nothing more: the guard has ended
    say("AFTER", len(events))


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


# ---- progress -------------------------------------------------------------------

@time_guard(timeout_ms=300)
def progress_via_function():
    for _ in range(10):
        time.sleep(0.1)
        progress(ctx=progress_via_function)
        progress_via_function.progress()
    return "ok"


def progress_all():
    ways = {
        "progress()": lambda g: progress(),
        "guard.progress()": lambda g: g.progress(),
        "progress(g)": lambda g: progress(g),
        "progress(ctx=g)": lambda g: progress(ctx=g),
    }
    for name, report in ways.items():
        try:
            with time_guard(timeout_ms=300) as g:
                for _ in range(10):  # 1 s in all, more than 3 timeouts
                    time.sleep(0.1)
                    report(g)
            say("PROGRESS", name, "ok")
        except ExecutionTimeout:
            say("PROGRESS", name, "TIMEOUT")
    say("PROGRESS", "progress(decorated)", progress_via_function())
    for name, ctx in (("progress_loop(it)", None), ("progress_loop(it, g)", "g")):
        try:
            with time_guard(timeout_ms=300) as g:
                n = 0
                for _ in progress_loop(range(10), g if ctx else None):
                    time.sleep(0.1)
                    n += 1
            say("PROGRESS", name, "ok", n)
        except ExecutionTimeout:
            say("PROGRESS", name, "TIMEOUT")
    # without progress, the same loop times out
    t0 = time.monotonic()
    try:
        with time_guard(timeout_ms=300):
            for _ in range(10):
                time.sleep(0.1)
        say("NOPROGRESS", "none")
    except ExecutionTimeout:
        say("NOPROGRESS", "timeout", ms(t0))


# ---- memory ---------------------------------------------------------------------

def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def mem(mode):
    hold = []
    if mode == "absolute":
        g = mem_guard(max_memory=rss_kib() + 50 * 1024, check_interval=10)
    else:
        hold.append(bytearray(100 * 1024 * 1024))  # already big: relative ignores it
        g = mem_guard(max_memory=50 * 1024, absolute=False, check_interval=10)
    start = rss_kib()
    try:
        with g:
            for _ in range(400):
                hold.append(bytearray(1024 * 1024))  # touched: resident
                time.sleep(0.002)
        say("NOTHING")
    except MemoryLimitExceeded as e:
        say("MEM", (rss_kib() - start) // 1024, name_of(e))
    hold.clear()
    say("AFTER")


def mem_grace():
    """Above the limit for less than grace_period: nothing; longer: exception."""
    g = mem_guard(max_memory=rss_kib() + 30 * 1024, grace_period_ms=600, check_interval=10)
    try:
        with g:
            spike = bytearray(60 * 1024 * 1024)
            time.sleep(0.2)
            del spike
            time.sleep(0.8)
            say("SPIKE", "tolerated")
            t0 = time.monotonic()
            hold = bytearray(60 * 1024 * 1024)
            spin(5)
    except MemoryLimitExceeded:
        say("MEM", "after", ms(t0))


def mem_records(rounds="3"):
    """Resiliparse's pattern: one mem_guard per record.  A big record holds
    150 MiB for 0.7 s, either within a limit of its own or over the common
    limit (then it is stopped), and frees it; the small records after it
    (sampled every 10 ms) stay far under the common limit: none may be
    stopped by what the big one held."""
    base = rss_kib()
    limit = base + 100 * 1024
    big = caught = stopped = small = 0
    for i in range(int(rounds)):
        for big_limit in (base + 400 * 1024, limit):
            big += 1
            try:
                with mem_guard(max_memory=big_limit):
                    hold = bytearray(150 * 1024 * 1024)  # touched: resident
                    spin(0.7 if big_limit > limit else 5)  # over: until stopped
                if big_limit == limit:
                    say("BIG", i, "missed")
            except MemoryLimitExceeded:
                caught += 1
            hold = None
            for j in range(10):
                t0 = time.monotonic()
                small += 1
                try:
                    with mem_guard(max_memory=limit, check_interval=10):
                        hold = bytearray(1024 * 1024)
                        spin(0.005)
                except MemoryLimitExceeded as e:
                    stopped += 1
                    say("SMALL", i, j, "stopped after", ms(t0), "ms:", e,
                        "resident", rss_kib() // 1024, "MiB")
                hold = None
    say("RECORDS", "big", big, "caught", caught, "small", small, "stopped", stopped)


# ---- bad arguments --------------------------------------------------------------

def args():
    cases = [
        ("time_guard(timeout='1')", lambda: time_guard(timeout="1")),
        ("time_guard(timeout=-1)", lambda: time_guard(timeout=-1)),
        ("time_guard(timeout=None)", lambda: time_guard(timeout=None)),
        ("time_guard(timeout_ms=float('nan'))", lambda: time_guard(timeout_ms=float("nan"))),
        ("time_guard(grace_period=[])", lambda: time_guard(grace_period=[])),
        ("time_guard(interrupt_type=7)", lambda: time_guard(interrupt_type=7)),
        ("time_guard(interrupt_type='signal')", lambda: time_guard(interrupt_type="signal")),
        ("time_guard(check_interval=-5)", lambda: time_guard(check_interval=-5)),
        ("time_guard(bogus=1)", lambda: time_guard(bogus=1)),
        ("mem_guard()", lambda: mem_guard()),
        ("mem_guard(max_memory='1G')", lambda: mem_guard(max_memory="1G")),
        ("mem_guard(1024, grace_period=-1)", lambda: mem_guard(1024, grace_period=-1)),
        ("mem_guard(1024, interrupt_type=None)", lambda: mem_guard(1024, interrupt_type=None)),
        ("progress(42)", lambda: progress(42)),
        ("progress(ctx=mem_guard(1024))", lambda: progress(ctx=mem_guard(1024))),
        ("progress(nope=1)", lambda: progress(nope=1)),
        ("progress_loop(5)", lambda: progress_loop(5)),
        ("time_guard()(42)", lambda: time_guard()(42)),
    ]
    for text, fn in cases:
        try:
            fn()
            say("ACCEPTED", text)
        except (TypeError, ValueError) as e:
            say("REJECTED", text, type(e).__name__, e)
    # the good ones
    time_guard(timeout=1.5, grace_period=0, check_interval=0)
    time_guard(timeout=None, timeout_ms=10)
    mem_guard(1024, absolute=False, secondary_grace_period_ms=1)
    say("DEFAULTS", repr(time_guard()), repr(mem_guard(1024)))


def signatures():
    """The parameters, in order, with their defaults: Resiliparse's."""
    import inspect
    for f in (time_guard, mem_guard, progress, progress_loop):
        ps = []
        for p in inspect.signature(f).parameters.values():
            d = p.default
            ps.append(p.name if d is p.empty else "%s=%s" % (p.name, getattr(d, "name", d)))
        say("SIG", f.__name__, ", ".join(ps))
    say("ENUM", [(m.name, int(m)) for m in InterruptType])


# ---- nesting --------------------------------------------------------------------

def nest():
    t0 = time.monotonic()
    try:
        with time_guard(timeout_ms=800):
            for i in range(3):
                try:
                    with time_guard(timeout_ms=100):
                        spin(5)
                except ExecutionTimeout:
                    say("INNER", i, ms(t0))
                progress()  # the innermost guard of the thread: the outer one now
            say("OUTER-PROGRESSED", ms(t0))
            with time_guard(timeout_ms=5000):
                for _ in range(10):
                    time.sleep(0.1)
                    progress()  # resets the inner guard only
    except ExecutionTimeout:
        say("OUTER", ms(t0))
    try:
        with time_guard(timeout_ms=2000):
            with mem_guard(max_memory=rss_kib() + 40 * 1024, check_interval=10):
                hold = [bytearray(1024 * 1024) for _ in range(80)]
                spin(1)
    except MemoryLimitExceeded:
        say("MEM-IN-TIME")
    except ExecutionTimeout:
        say("TIME-NOT-MEM")


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


# ---- a program that handles the package's signal itself -----------------------------

def own_signal(when):
    """SIGURG is the program's (before or after import): its handler stays, and
    the exception still comes (at the next bytecode, not inside sleep)."""
    if when == "after":
        signal.signal(signal.SIGURG, lambda n, f: None)
    t0 = time.monotonic()
    try:
        with time_guard(timeout_ms=300):
            spin(5)
    except ExecutionTimeout:
        say("EXC", ms(t0))
    h = signal.getsignal(signal.SIGURG)
    say("HANDLER", "ours" if getattr(h, "__name__", "") == "_interrupt" else "program's")


def blocked_signal():
    """The main thread blocks the package's signal: the exception still comes
    at the first step (through the slower route), and the mask stays the
    program's, with nothing left pending."""
    urg = signal.Signals(libguard._helpers._python_signal())
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {urg}) | {urg}
    t0 = time.monotonic()
    try:
        with time_guard(timeout_ms=300):  # the SIGINT step would be 15 s later
            spin(5)
        say("NOTHING")
    except BaseException as e:
        say("EXC", ms(t0), name_of(e))
    now = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    say("MASK", "kept" if now == mask else "changed: %s" % sorted(now))
    say("PENDING", *sorted(int(n) for n in signal.sigpending()))


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


# ---- reporting: logging and warnings, not raw lines on stderr ---------------------

def five(config="plain"):
    """Five guards firing in a plain loop; "logging": after logging.basicConfig()."""
    if config == "logging":
        import logging
        logging.basicConfig()  # as a user would: the default format
    caught = 0
    for _ in range(5):
        try:
            with time_guard(timeout_ms=50, interrupt_type=InterruptType.exception):
                spin(5)
        except ExecutionTimeout:
            caught += 1
    say("CAUGHT", caught)


def ladder_reports(where="main"):
    """The exception ladder to its third step, in the main thread or another:
    print the libguard logger's records ("LOG") and the warnings ("WARN")."""
    import logging
    import warnings
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)
    logging.getLogger("libguard").addHandler(Keep())

    def run():
        caught = []
        end = time.monotonic() + 5
        def busy_until():  # its back-edge in a frame of its own (gh-108214)
            while len(caught) < 3 and time.monotonic() < end:
                tick()
        with time_guard(timeout_ms=100, grace_period_ms=100,
                        interrupt_type=InterruptType.exception):
            while len(caught) < 3 and time.monotonic() < end:
                try:
                    busy_until()
                except ExecutionTimeout as e:
                    caught.append(e)
        say("CAUGHT", len(caught))

    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always")
        if where == "main":
            run()
        else:
            t = threading.Thread(target=run)
            t.start()
            t.join()
    for r in records:
        say("LOG", r.levelname, r.getMessage())
    for w in caught_warnings:
        say("WARN", w.category.__name__, w.message)


# ---- leaving while a step fires ---------------------------------------------------

def race():
    stray = 0
    caught = 0
    for i in range(300):
        try:
            try:
                with time_guard(timeout_ms=1, interrupt_type=InterruptType.exception):
                    spin(0.0005 * (i % 7))
            except ExecutionTimeout:
                caught += 1
            spin(0.002)  # a late step would land here
        except ExecutionTimeout:
            stray += 1
    say("RACE", "caught", caught, "stray", stray)


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
