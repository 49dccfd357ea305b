"""An importable module with a guarded function (tests/python/package.py)."""
from libguard import time_guard


@time_guard(timeout=5)
def helper_work(x):
    """Returns x."""
    return x
