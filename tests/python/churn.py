"""Driven by tests/package.bats: the main thread's Python stack changes all
the time (calls 300 deep, again and again) inside a guard of 30 ms, and
each exception is caught and the guard entered again, N times (argv[1]).
With the log on, every first step logs the Python stacks (20 per
process): read while the frames are pushed and freed, they would crash
the program.  Prints "caught N"."""
import sys

import libguard


def deep(n):
    return 0 if n == 0 else 1 + deep(n - 1)


caught = 0
for _ in range(int(sys.argv[1])):
    try:
        with libguard.time_guard(timeout_ms=30):
            while True:
                deep(300)
    except libguard.ExecutionTimeout:
        caught += 1
print("caught", caught)
