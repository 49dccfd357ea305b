"""Driven by tests/output.bats: the main thread and twenty others, each 300
calls deep, so that the Python stacks logged at a guard's first step run far
past what a pipe holds (64 KiB).  The main thread sleeps until the exception
step comes, prints "caught NAME", lets the other threads go and exits 0."""
import threading
import time

DEPTH = 300
THREADS = 20
release = threading.Event()


def deep(n, then):
    if n:
        return deep(n - 1, then)
    return then()


def wait_for_release():
    release.wait()


def sleep_forever():
    while True:
        time.sleep(0.01)


threads = [threading.Thread(target=deep, args=(DEPTH, wait_for_release)) for _ in range(THREADS)]
for t in threads:
    t.start()
try:
    deep(DEPTH, sleep_forever)
except BaseException as e:
    print("caught", type(e).__name__, flush=True)
finally:
    release.set()
for t in threads:
    t.join()
