"""The parts of libguard._core best said in Python, which it calls: pickling
a guarded function, and the signal LIBGUARD_PYTHON_SIGNAL names."""


def _reduce_guarded(w):
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
        return w.__qualname__
    if obj is w and getattr(f, '__qualname__', None) == w.__qualname__:
        # __main__ (a driver script: Dask, PySpark): by value, so that
        # cloudpickle sends the function itself; pickle finds it by name
        f.__qualname__ = w.__qualname__ + '.__wrapped__'
    return (w._guard_self, (f,))


def _python_signal():
    import os, signal as s
    v = os.environ.get('LIBGUARD_PYTHON_SIGNAL', 'SIGURG').strip().upper()
    if v.isdigit():
        return int(v)
    try:
        return int(getattr(s, v if v.startswith('SIG') else 'SIG' + v))
    except AttributeError:
        return int(s.SIGURG)
