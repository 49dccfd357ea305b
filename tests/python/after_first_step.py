"""python after_first_step.py PROGRAM [ARG...], under the shim with a time
guard shorter than start-up: takes the process guard's first step (its
ExecutionTimeout) in a sleep, then runs PROGRAM.  The next step waits for
the grace period, so PROGRAM's imports run in peace until it reports
progress itself (tests/safe.bats, the shim's route)."""
try:
    import time
    while True:
        time.sleep(1)
except BaseException as e:
    if type(e).__name__ != "ExecutionTimeout":
        raise
import runpy
import sys

sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
