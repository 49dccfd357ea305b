"""Process guards over libguard's core: a faster drop-in for
resiliparse.process_guard.

time_guard and mem_guard make guards (decorators and context managers) that
interrupt the task, the thread that entered them, when it runs too long
without progress or holds too much memory; progress and progress_loop report
progress.  The C extension libguard._core implements them.

Steps are reported through the "libguard" logger (a WARNING each) and, at
the last step of the exception ladder, a RuntimeWarning; nothing is written
to stderr unless LIBGUARD_LOG asks for the core's lines or the libguard.so
shim guards the process (its log stays as it is).
"""
import enum as _enum
import logging as _logging

from ._core import (ExecutionTimeout, MemGuard, MemoryLimitExceeded,
                    ResiliparseGuardException, TimeGuard, __version__, deferred, mem_guard,
                    progress, progress_loop, protected, time_guard)


class InterruptType(_enum.IntEnum):
    """How a guard interrupts the task: see time_guard."""
    exception = 0
    signal = 1
    exception_then_signal = 2


exception = InterruptType.exception
signal = InterruptType.signal
exception_then_signal = InterruptType.exception_then_signal
del _enum

# A library's logger: silent until the program configures logging.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
del _logging

__all__ = [
    "ExecutionTimeout", "InterruptType", "MemGuard", "MemoryLimitExceeded",
    "ResiliparseGuardException", "TimeGuard", "deferred", "mem_guard", "progress",
    "progress_loop", "protected", "time_guard",
]

# What help(), repr and inspect.signature() name them by (the signatures'
# defaults, InterruptType.exception_then_signal, are looked up in the
# module named here).
for _f in (time_guard, mem_guard, progress, progress_loop, deferred, protected):
    _f.__module__ = __name__
del _f
