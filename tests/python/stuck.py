# Driven by tests/traceback.bats: hangs in stuck_here() on the line marked
# below, so the log must show that function and line at the first step.
import sys
import time


def stuck_here():
    while True:
        time.sleep(0.05)  # STUCK-LINE


def main():
    try:
        stuck_here()
    except BaseException as e:
        print("EXC", type(e).__name__, flush=True)
        sys.exit(3)


main()
