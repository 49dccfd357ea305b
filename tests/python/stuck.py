# Driven by tests/traceback.bats.  Hangs in stuck_here() on the line marked
# STUCK-LINE; the log must show that function and line at the first step.
#   stuck.py            the main thread sleeps in stuck_here()
#   stuck.py busy       the main thread computes in stuck_here()
#   stuck.py thread     a worker sleeps in worker_stuck(), the main thread
#                       waits for it in stuck_here()
#   stuck.py again      sleeps, catches each exception and sleeps again, no
#                       I/O until the third (for LIBGUARD_PROGRESS=io)
import os
import sys
import threading
import time


def tick():
    return time.monotonic()


def worker_stuck():
    while True:
        time.sleep(0.05)  # WORKER-LINE


def stuck_here(mode):
    while True:
        if mode == "busy":
            tick()  # BUSY-LINE (a call in the loop: see cpython-interrupts.md)
        elif mode == "thread":
            worker.join(0.05)  # JOIN-LINE
        else:
            time.sleep(0.05)  # STUCK-LINE


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "sleep"
    if mode == "thread":
        global worker
        worker = threading.Thread(target=worker_stuck, daemon=True)
        worker.start()
    if mode == "again":
        caught = []
        while len(caught) < 3:
            try:
                stuck_here(mode)
            except BaseException as e:
                caught.append(type(e).__name__)
        os.write(1, ("EXC " + " ".join(caught) + "\n").encode())  # one write
        sys.exit(3)
    print("READY", flush=True)
    try:
        stuck_here(mode)
    except BaseException as e:
        print("EXC", type(e).__name__, flush=True)
        sys.exit(3)


main()
