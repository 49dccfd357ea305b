"""Programs for tests/python.bats: python scenario.py NAME [ARG].

Each scenario reports progress to the shim once (guard_progress, through
ctypes) and measures from there, so "EXC <ms>" is the time from the last
progress to the exception, i.e. the timeout plus the route's latency.
Loops call a function in their body: an exception at a bare while back-edge
can escape try on 3.11+ (gh-108214).
"""
import ctypes
import os
import signal
import sys
import threading
import time

_progress = ctypes.CDLL(None).guard_progress


def start():
    _progress()
    return time.monotonic()


def ms(t0):
    return int((time.monotonic() - t0) * 1000)


def tick():
    pass


def say(*words):
    print(*words, flush=True)


def report(e, t0, n=""):
    cls = type(e)
    say("EXC%s" % n, ms(t0), "%s.%s" % (cls.__module__, cls.__name__))
    say("MRO", ",".join(c.__name__ for c in cls.__mro__))
    say("MSG", e)
    say("CONTEXT", type(e.__context__).__name__ if e.__context__ else "none")


def busy(t0, seconds=30):
    while time.monotonic() - t0 < seconds:
        tick()


# ---- one exception, in a busy loop or a blocking call ---------------------

def blocking(kind):
    """Block in one call; report what ends it."""
    if kind == "read":
        r, w = os.pipe()
    elif kind == "recv" or kind == "select":
        import socket
        a, b = socket.socketpair()
    elif kind == "lock":
        lock = threading.Lock()
        lock.acquire()
    elif kind == "event":
        event = threading.Event()
    elif kind == "join":
        worker = threading.Thread(target=busy, args=(time.monotonic(), 60), daemon=True)
        worker.start()
    t0 = start()
    try:
        try:
            if kind == "busy":
                busy(t0)
            elif kind == "sleep":
                time.sleep(30)
            elif kind == "select":
                import select
                select.select([a], [], [], 30)
            elif kind == "read":
                os.read(r, 1)
            elif kind == "recv":
                a.recv(1)
            elif kind == "event":
                event.wait(30)
            elif kind == "lock":
                lock.acquire(timeout=30)
            elif kind == "join":
                worker.join(30)
            say("NOTHING", ms(t0))
        except Exception as e:  # a guard exception must not land here
            say("SWALLOWED", ms(t0), type(e).__name__)
    except BaseException as e:
        report(e, t0)
    say("AFTER")


# ---- a whole ladder -------------------------------------------------------

def ladder(count):
    """Busy; catch and report each exception up to `count`, go on after each."""
    t0 = start()
    for n in range(1, count + 1):
        try:
            busy(t0)
        except BaseException as e:
            report(e, t0, n)
    say("DONE", ms(t0))


def own_sigint():
    signal.signal(signal.SIGINT, lambda s, f: say("OWN_SIGINT", ms(t0)))
    t0 = start()
    try:
        busy(t0)
    except BaseException as e:
        report(e, t0, 1)
    busy(t0)  # SIGINT goes to the handler above; SIGTERM ends this


def own_sigurg(block):
    calls = []
    signal.signal(signal.SIGURG, lambda s, f: calls.append(s))
    t0 = start()
    try:
        if block == "sleep":
            time.sleep(1.5)
        busy(t0)
    except BaseException as e:
        report(e, t0)
    say("URG_CALLS", len(calls))


def blocked_sigurg():
    """The main thread blocks the route's signal: the exception still comes
    (through the slower route), and the mask stays the program's."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGURG}) | {signal.SIGURG}
    t0 = start()
    try:
        busy(t0, 5)
        say("NOTHING")
    except BaseException as e:
        report(e, t0)
    now = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    say("MASK", "kept" if now == mask else "changed: %s" % sorted(now))
    say("PENDING", *sorted(int(n) for n in signal.sigpending()))


# ---- a long C call that holds the GIL --------------------------------------

def gil(kind):
    t0 = start()
    say("START")
    try:
        if kind == "regex":  # the regex engine checks for signals: interruptible
            import re
            re.match(r"(a+)+$", "a" * 40 + "b")
        else:  # sum over repeat never looks at signals
            import itertools
            sum(itertools.repeat(1, 10 ** 11))
        say("RETURNED", ms(t0))
    except BaseException as e:
        report(e, t0)


# ---- threads and processes -------------------------------------------------

def threads():
    count = [0]
    stop = threading.Event()
    problems = []

    def work():
        try:
            while not stop.is_set():
                count[0] += 1
                tick()
        except BaseException as e:
            problems.append(e)

    worker = threading.Thread(target=work)
    worker.start()
    t0 = start()
    try:
        busy(t0)
    except BaseException as e:
        report(e, t0)
    before = count[0]
    time.sleep(0.2)
    after = count[0]
    stop.set()
    worker.join()
    say("WORKER", "alive-after" if after > before else "stalled", "problems=%d" % len(problems))


def child(code):
    t0 = start()
    try:
        busy(t0, 20)
    except BaseException as e:
        os._exit(code if type(e).__name__ == "ExecutionTimeout" else 3)
    os._exit(4)


def processes(method):
    import multiprocessing
    ctx = multiprocessing.get_context(method)
    p = ctx.Process(target=child, args=(42,))
    t0 = start()
    p.start()
    while p.is_alive():
        _progress()  # the parent itself stays within its budget
        p.join(0.05)
    say("CHILD", p.exitcode, ms(t0))


# ---- start-up and exit ------------------------------------------------------

def exit_race(delay_ms, own_urg):
    """Exit around the deadline, through atexit and with a daemon thread;
    with own_urg, by the pending-call route."""
    t0 = start()
    import atexit
    if own_urg:
        signal.signal(signal.SIGURG, lambda s, f: None)
    atexit.register(lambda: busy(time.monotonic(), 0.01))
    threading.Thread(target=busy, args=(time.monotonic(), 60), daemon=True).start()
    try:
        busy(t0, delay_ms / 1000.0)
    except BaseException:
        sys.exit(3)


def memory():
    """Allocate until MemoryLimitExceeded, free, go on, finish normally."""
    chunks = []
    t0 = start()
    try:
        while len(chunks) < 200:  # up to 1 GiB
            chunks.append(bytearray(5 << 20))  # zero pages: touch them
            for i in range(0, 5 << 20, 4096):
                chunks[-1][i] = 1
            _progress()
            time.sleep(0.005)
        say("NOT_RAISED")
    except BaseException as e:
        say("HELD_MIB", len(chunks) * 5)
        report(e, t0)
    del chunks
    total = 0
    for i in range(2000000):
        total += i
    say("CONTINUED", total)


def package():
    import libguard
    t0 = start()
    try:
        busy(t0)
    except libguard.ExecutionTimeout as e:
        say("PACKAGE_CLASS", type(e) is libguard.ExecutionTimeout)


def package_unimported():
    """The exception comes before the program imports libguard (libguard.so
    imports nothing by name): the class the package then exports is the
    one that was raised."""
    t0 = start()
    try:
        busy(t0)
    except BaseException as e:
        say("IMPORTED_BEFORE", "libguard" in sys.modules)
        import libguard
        say("PACKAGE_CLASS", type(e) is libguard.ExecutionTimeout)


if __name__ == "__main__":
    name, arg = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
    if name == "blocking":
        blocking(arg)
    elif name == "ladder":
        ladder(int(arg))
    elif name == "own_sigint":
        own_sigint()
    elif name == "own_sigurg":
        own_sigurg(arg)
    elif name == "blocked_sigurg":
        blocked_sigurg()
    elif name == "gil":
        gil(arg)
    elif name == "threads":
        threads()
    elif name == "processes":
        processes(arg)
    elif name == "exit_race":
        exit_race(int(arg), len(sys.argv) > 3)
    elif name == "memory":
        memory()
    elif name == "package":
        package()
    elif name == "package_unimported":
        package_unimported()
    else:
        sys.exit("unknown scenario " + name)
