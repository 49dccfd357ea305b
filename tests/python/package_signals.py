"""package.py's programs for the package's signal: a program that owns or
blocks it, leaving while a step fires, and what the steps report (logging
and warnings).
"""
import signal
import threading
import time

import libguard
from libguard import ExecutionTimeout, InterruptType, time_guard
from package_common import name_of, ms, say, spin, tick


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
    say("HANDLER", "ours" if getattr(h, "__name__", "") == "libguard_interrupt" else "program's")


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

def blocked_log():
    """The libguard logger's handler writes to a full pipe nobody reads: the
    first step's report never returns, and a guard in another thread still
    raises, at its second step, unreported."""
    import logging
    import os
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        while True:
            os.write(w, b"x" * 65536)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    logging.getLogger("libguard").addHandler(logging.StreamHandler(os.fdopen(w, "w")))

    def run():
        t0 = time.monotonic()
        try:
            with time_guard(timeout_ms=200, grace_period_ms=300,
                            interrupt_type=InterruptType.exception):
                spin(5)
            say("NOTHING")
        except ExecutionTimeout:
            say("EXC", ms(t0))
    t = threading.Thread(target=run)
    t.start()
    t.join()
    # Not a normal exit: logging.shutdown() would flush the program's
    # handler, which waits for the pipe as long as the blocked report does.
    os._exit(0)

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
