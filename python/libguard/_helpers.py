"""The parts of libguard._core best said in Python, which it calls: pickling
a guarded function and reporting a step through logging and warnings; and
the signal LIBGUARD_PYTHON_SIGNAL names, for tests."""
from typing import Any, Tuple, Union


def _reduce_guarded(w: Any) -> Union[str, Tuple[Any, Tuple[Any]]]:
    """Pickling a guarded function: by reference when its name leads to it
    in an importable module, as functions are; else by value: the guard and
    the function (a function of __main__ is then named NAME.__wrapped__,
    through the wrapper, for pickle; cloudpickle sends such a function by
    value)."""
    import sys
    obj = sys.modules.get(getattr(w, '__module__', None) or '')
    try:
        for part in w.__qualname__.split('.'):
            obj = getattr(obj, part)
    except Exception:
        obj = None
    f = w.__wrapped__
    if obj is w and w.__module__ != '__main__':
        name: str = w.__qualname__
        return name
    if obj is w and getattr(f, '__qualname__', None) == w.__qualname__:
        # __main__ (a driver script: Dask, PySpark): by value, so that
        # cloudpickle sends the function itself; pickle finds it by name
        f.__qualname__ = w.__qualname__ + '.__wrapped__'
    return (w._guard_self, (f,))


def _python_signal() -> int:
    """The signal LIBGUARD_PYTHON_SIGNAL names, as libguard.so read it (0
    when the LIBGUARD_* settings were bad: then libguard takes none)."""
    from . import _core
    signo: int = _core._python_signal
    return signo


def _report(kind: int, step: int, message: str, tid: int) -> None:
    """A step of the exception ladder, just before it is raised (by the
    thread that raises it, which for another thread is libguard's helper, so
    the record exists before the exception can be caught): a WARNING of the "libguard" logger with the text of the
    core's step line and, at the last step, a RuntimeWarning, as Resiliparse
    gives.  Only when the core writes no line of its own (see _core)."""
    import logging, os, warnings
    what = 'MemoryLimitExceeded' if kind == 2 else 'ExecutionTimeout'
    target = 'main thread' if tid == os.getpid() else 'thread %d' % tid
    logging.getLogger('libguard').warning('%s: %s to %s, step %d of 3',
                                          message, what, target, step)
    if step == 3:
        warnings.warn('%s: no progress after 3 %s exceptions; this guard raises nothing more '
                      'until progress' % (target, what), RuntimeWarning, stacklevel=2)
