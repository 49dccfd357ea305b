"""What the programs of package.py share: printing, timing, spinning."""
import os
import time


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


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
