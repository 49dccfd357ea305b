"""DEMONSTRATION ONLY (not a test, not part of the build): the safe-point
rule and its delivery, in pure Python, on CPython 3.8-3.13.
doc/safe-delivery.md explains the design; safe_delivery_demo.py (next to
this file) runs the scenarios that measure it.

A SIGALRM handler stands in for libguard's SIGURG handler (both are
Python-level handlers run by the main thread), and setitimer stands in for
the watchdog (the deadline, and the re-send that bounds a deferral).
Importing this module installs the SIGALRM handler.
"""
import ctypes
import dis
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


class Timeout(BaseException):
    """Stands in for libguard.ExecutionTimeout."""


# ---- what is protected ------------------------------------------------------

# Lexically protected: the interrupted instruction belongs to one of these
# modules (their bookkeeping is written for exceptions raised by what they
# call, not for one raised between two of their own bytecodes).
PROTECTED_MODULES = {
    "threading", "queue", "logging", "logging.handlers",
    "concurrent.futures._base", "concurrent.futures.thread",
    "concurrent.futures.process", "multiprocessing.synchronize",
    "multiprocessing.queues", "multiprocessing.pool", "_threading_local",
    "protected_spin",  # the bounded-deferral scenario's stand-in module
}
# Any __enter__/__exit__, in any module: they take and release locks; and
# __del__, where CPython would print and drop the exception.  (The figures in
# the design note were measured before __del__ was added; no scenario has one.)
PROTECTED_NAMES = {"__enter__", "__exit__", "__aenter__", "__aexit__", "__del__"}

# Dynamically protected: @protected marks the code object (trio's way); the
# handler looks for it anywhere on the stack.  Zero cost per call.
protected_codes = set()


def protected(fn):
    protected_codes.add(fn.__code__)
    return fn


class _Depth(threading.local):
    n = 0


_depth = _Depth()


class deferred:
    """with deferred(): ... -- a per-thread depth counter (in C in libguard:
    a thread-local int, so as cheap as an empty with)."""
    __slots__ = ()

    def __enter__(self):
        _depth.n += 1

    def __exit__(self, *exc):
        _depth.n -= 1
        if _depth.n == 0 and state.pending and state.mode_safe:
            deliver_now("left deferred()")  # the prompt route for user sections


# Wait sites: calls whose interruption the module is written for, both while
# blocked and just after returning (Condition.wait's waiter.acquire: its
# finally restores the lock and drops the waiter; Event.wait, Queue.get/put,
# Semaphore, Barrier and concurrent.futures all wait there).  Offsets from
# loading `waiter` to the CALL that acquires it, after _release_save.
def _wait_sites():
    code = threading.Condition.wait.__code__
    ins = list(dis.get_instructions(code))
    sites, after_release, start = [], False, None
    for i, x in enumerate(ins):
        if x.argval == "_release_save":
            after_release = True
        if after_release and x.opname == "LOAD_FAST" and x.argval == "waiter":
            if ins[i + 1].argval == "acquire":
                start = x.offset
        if start is not None and x.opname.startswith("CALL"):
            sites.append((start, x.offset))
            start = None
    assert len(sites) >= 2, sites
    return code, sites


WAIT_CODE, WAIT_SITES = _wait_sites()


def at_wait_site(f):
    if f.f_code is not WAIT_CODE:
        return False
    return any(lo <= f.f_lasti <= hi for lo, hi in WAIT_SITES)


def lexically_protected(f):
    return (f.f_code.co_name in PROTECTED_NAMES
            or f.f_globals.get("__name__") in PROTECTED_MODULES)


def user_protected(f):
    if _depth.n:
        return True
    if protected_codes:
        while f is not None:
            if f.f_code in protected_codes:
                return True
            f = f.f_back
    return False


# Call sites.  Every line of Python must already cope with "this call
# raised": an exception delivered at a call (in progress, or just returned)
# looks exactly like that, so a call site of unprotected code is a safe point.
# Other positions are not: e.g. the instructions between popping a `with`
# block and calling __exit__ (3.8: POP_BLOCK..WITH_CLEANUP_START; 3.11+:
# NOP..CALL) leave the lock held if an exception lands there.
_calls = {}


def call_offsets(code):
    """(offsets of call instructions, offsets of the instruction after one)."""
    r = _calls.get(code)
    if r is None:
        ins = list(dis.get_instructions(code))
        at, after = set(), set()
        for i, x in enumerate(ins):
            if x.opname.startswith("CALL") and "INTRINSIC" not in x.opname:
                at.add(x.offset)
                if i + 1 < len(ins):
                    after.add(ins[i + 1].offset)
        r = _calls[code] = (frozenset(at), frozenset(after))
    return r


def handler_may_raise(f):
    """In the signal handler: f is interrupted at (3.8-3.9: just after) its
    instruction f_lasti.  A call there is in progress (a blocking call the
    signal interrupted) or has just returned."""
    if f is None:
        return True
    if user_protected(f):
        return False
    if at_wait_site(f):
        return True
    return not lexically_protected(f) and f.f_lasti in call_offsets(f.f_code)[0]


def tracer_may_raise(f, event):
    """In the tracer, before f executes f_lasti ('opcode'), or as f starts
    ('call')."""
    if user_protected(f):
        return False
    if event == "opcode" and at_wait_site(f):
        return True  # before waiter.acquire(): as good as during it
    if lexically_protected(f):
        return False
    return event == "call" or f.f_lasti in call_offsets(f.f_code)[1]


# ---- delivery ---------------------------------------------------------------

BOUND_S = 0.010
FORCE_OPCODES = 1000
HURRY_S = 0.0001
TRACED = os.environ.get("DEMO_POLL") is None  # thread route: trace, or poll


class State:
    mode_safe = False
    pending = False
    since = 0.0
    saved_trace = None
    traced = []
    in_handler = False
    target = None  # the thread being traced, when it is not the main one
    how = {}
    opcodes = 0
    immediate = deferred_n = forced = 0
    defer_times = []
    deadline = 0.0


state = State()


def stop_tracing():
    if state.target is not None and sys.version_info >= (3, 12):
        threading.settrace_all_threads(None)
    else:
        sys.settrace(state.saved_trace)
    state.target = None
    for f in state.traced:
        f.f_trace = None
    state.traced = []


def deliver_now(how):
    state.pending = False
    stop_tracing()
    signal.setitimer(signal.ITIMER_REAL, 0)
    state.defer_times.append(time.perf_counter() - state.since)
    state.how[how.split(" ")[0]] = state.how.get(how.split(" ")[0], 0) + 1
    raise Timeout(how)


def tracer(frame, event, arg):
    if not state.pending or state.in_handler or frame.f_code is HANDLER_CODE:
        return None
    if state.target is not None and threading.get_ident() != state.target:
        return None  # the handler's own frames (in libguard it is C: none)
    if event == "call":
        frame.f_trace_opcodes = True
        if tracer_may_raise(frame, event):
            deliver_now("left protected code")
    elif event == "opcode":
        if tracer_may_raise(frame, event):
            deliver_now("left protected code")
        state.opcodes += 1
        # The bound is on protected WORK: BOUND_S of it and FORCE_OPCODES
        # bytecodes.  A thread that slept in a lock most of that time and
        # just woke gets FORCE_OPCODES to finish its bookkeeping.
        if (state.opcodes >= FORCE_OPCODES
                and time.perf_counter() - state.since >= BOUND_S):
            state.forced += 1
            deliver_now("forced in %s (%s) after %.1f ms" % (
                frame.f_code.co_name, frame.f_globals.get("__name__"),
                (time.perf_counter() - state.since) * 1e3))
    return tracer


def defer(frame):
    state.pending = True
    state.since = time.perf_counter()
    state.deferred_n += 1
    state.opcodes = 0
    # Watch every frame of the stack at opcode granularity, and new ones.
    state.saved_trace = sys.gettrace()
    f = frame
    while f is not None:
        f.f_trace = tracer
        f.f_trace_opcodes = True
        state.traced.append(f)
        f = f.f_back
    sys.settrace(tracer)
    # The watchdog's re-send: the bound on the deferral.
    signal.setitimer(signal.ITIMER_REAL, BOUND_S)


def on_alarm(signum, frame):
    if not state.mode_safe:
        raise Timeout("baseline")
    state.in_handler = True
    try:
        if frame is not None and frame.f_code in MACHINERY:
            # Interrupted our own tracer (in libguard it is C: cannot happen).
            signal.setitimer(signal.ITIMER_REAL, BOUND_S)
            return
        if state.pending:
            # The watchdog's re-send: only a wait site (or a safe point the
            # tracer has not seen yet) takes it; a thread blocked elsewhere in
            # protected code gets it when it runs again, or at the next step.
            if handler_may_raise(frame):
                deliver_now("re-send")
            signal.setitimer(signal.ITIMER_REAL, BOUND_S)
            return
        if handler_may_raise(frame):
            state.immediate += 1
            state.since = time.perf_counter()
            state.defer_times.append(0.0)
            raise Timeout("immediate")
        defer(frame)
    finally:
        state.in_handler = False


HANDLER_CODE = on_alarm.__code__
MACHINERY = {f.__code__ for f in (tracer, handler_may_raise, tracer_may_raise, call_offsets, deliver_now, at_wait_site,
                                  lexically_protected, user_protected, defer,
                                  stop_tracing)}
signal.signal(signal.SIGALRM, on_alarm)


def arm(lo_ms=0.05, hi_ms=2.0):
    d = random.uniform(lo_ms, hi_ms) / 1e3
    state.deadline = time.perf_counter() + d
    signal.setitimer(signal.ITIMER_REAL, d)


def noop():
    pass
