"""package.py's programs for the exception and its ladder: busy and blocked
targets, each interrupt type, progress, bad arguments, nesting.
"""
import os
import select
import signal
import time

from libguard import (ExecutionTimeout, InterruptType, MemoryLimitExceeded, mem_guard,
                      progress, progress_loop, time_guard)
from package_common import name_of, ms, rss_kib, say, spin, tick


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

# ---- bad arguments --------------------------------------------------------------

def args():
    cases = [
        ("time_guard(timeout='1')", lambda: time_guard(timeout="1")),
        ("time_guard(timeout=-1)", lambda: time_guard(timeout=-1)),
        ("time_guard(timeout=None)", lambda: time_guard(timeout=None)),
        ("time_guard(timeout_ms=float('nan'))", lambda: time_guard(timeout_ms=float("nan"))),
        ("time_guard(timeout=10**30)", lambda: time_guard(timeout=10**30)),
        ("mem_guard(max_memory=2**70)", lambda: mem_guard(max_memory=2**70)),
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
