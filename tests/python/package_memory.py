"""package.py's programs for the memory guard."""
import time

from libguard import MemoryLimitExceeded, mem_guard
from package_common import name_of, ms, rss_kib, say, spin


# ---- memory ---------------------------------------------------------------------

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
    """Above the limit for less than grace_period: nothing; longer: exception.
    The grace is long next to the spike (0.2 s): the spike is over the limit
    from the middle of its allocation, and a loaded machine may take a second
    or more to fault in those 30 MiB."""
    g = mem_guard(max_memory=rss_kib() + 30 * 1024, grace_period_ms=2000, check_interval=10)
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
