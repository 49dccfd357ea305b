"""A batch job that has never heard of libguard.

Six records; record 3 loops forever.  Run bare, it never finishes.  Run
under the shim, the stuck record is interrupted and skipped, and the job
finishes the rest:

    LD_PRELOAD=libguard.so LIBGUARD_TIMEOUT=1 python3 examples/crawl.py

It reports progress after each record through the C symbol the shim exports
(ctypes), so the time limit applies to each record, not to the whole job.
"""
import ctypes
import time

try:
    progress = ctypes.CDLL(None).guard_progress
except AttributeError:  # not running under libguard
    def progress():
        pass


def parse(record):
    if record == 3:
        while True:  # one bad record
            sum(range(1000))
    time.sleep(0.1)
    return record * 2


done = []
for record in range(6):
    try:
        done.append(parse(record))
        print(f"record {record}: ok", flush=True)
    except (KeyboardInterrupt, Exception) as e:
        print(f"record {record}: skipped ({type(e).__name__})", flush=True)
    except BaseException as e:  # libguard's ExecutionTimeout is one of these
        if isinstance(e, SystemExit):
            raise
        print(f"record {record}: skipped ({type(e).__name__})", flush=True)
    progress()
print(f"finished: {len(done)} of 6 records")
