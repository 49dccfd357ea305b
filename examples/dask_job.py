"""A Dask distributed job with two poisoned records, guarded by libguard.

Twelve records go to a LocalCluster of two worker processes (one thread
each).  Record 4 loops forever; record 7 eats memory without end.  Every
other record takes a fraction of a second.  The job skips the two poisoned
records, finishes the rest, and prints one line per record and a summary:

    summary: 10 ok, 2 skipped: 4 (ExecutionTimeout), 7 (MemoryLimitExceeded)

It needs Dask (Debian: python3-distributed) and the libguard package built
for this interpreter (PYTHONPATH pointing at it; the worker processes
inherit the environment).  Two ways to run it:

  python3 examples/dask_job.py
      Per-record guards through the Python API (drop-in for
      resiliparse.process_guard): each task enters a time_guard and a
      mem_guard.  Tasks run in the workers' executor threads; the guard
      targets the thread that entered it, so the exception is raised in
      that task's thread, the task returns "skipped" and the worker carries
      on.

  python3 examples/dask_job.py --shim path/to/libguard.so
      The shim preloaded into the worker processes (LD_PRELOAD and
      LIBGUARD_* through Dask's distributed.nanny.pre-spawn-environ, set
      before the worker's interpreter is exec'd).  The shim's process guard
      targets the worker's MAIN thread, and in a Dask worker that is the
      event loop (heartbeats, scheduler traffic), not the thread running
      the task.  So the shim gets only what is process-wide: a memory limit
      on the whole worker, with the `signal` ladder and SIGKILL as the last
      step.  An exception in the event loop would be caught and logged by
      asyncio and help nobody; a time limit on the event loop would measure
      the event loop, not the record.  A runaway worker is ended, the
      nanny starts a fresh one, and Dask reports that record's task as
      failed (KilledWorker); the job counts it as skipped.  The per-record
      time limit stays with the API (only the task's thread knows which
      record it is on), and the tasks enter no mem_guard in this mode, so
      the memory blow-up really meets the shim.
"""
import argparse
import os
import sys
import time

import dask
from distributed import Client, LocalCluster
from distributed.scheduler import KilledWorker

from libguard import (ExecutionTimeout, InterruptType, MemoryLimitExceeded,
                      mem_guard, progress, time_guard)

RECORDS = 12
ENDLESS = 4      # loops forever, never reports progress
BLOW_UP = 7      # reports progress, but its memory grows without end

TIMEOUT = 2                  # seconds without progress per record
MEMORY_LIMIT_MIB = 512       # per worker process (a worker idles at ~100 MiB)
HOG_CAP_MIB = 2048           # the blow-up stops here, so a broken guard
                             # shows up as a wrong result, not a dead machine


def work(record):
    if record == ENDLESS:
        n = 0
        while True:
            n += 1
    if record == BLOW_UP:
        chunks = []
        while len(chunks) * 32 < HOG_CAP_MIB:
            chunks.append(b"\x01" * (32 << 20))   # touched, so resident
            progress()
            time.sleep(0.02)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:       # hold it
            time.sleep(0.1)
            progress()
        return -len(chunks)
    time.sleep(0.2)
    return sum(i * i for i in range(record * 1000))


def process(record, memory_guard):
    """One record under its own guards; returns (record, status, value).

    interrupt_type=exception: a task runs in one of the worker's threads, and
    the signal steps (SIGINT, SIGTERM) would go to that thread but be handled
    by CPython in the worker's main thread, the event loop: the worker would
    be interrupted, not the record.  The exception alone is repeated every
    grace period until the task leaves the guard.

    The mem_guard measures the whole worker process; with one thread per
    worker that is this record's memory.
    """
    try:
        with time_guard(timeout=TIMEOUT, interrupt_type=InterruptType.exception):
            if memory_guard:
                with mem_guard(max_memory=MEMORY_LIMIT_MIB * 1024,
                               secondary_grace_period=1, check_interval=100,
                               interrupt_type=InterruptType.exception):
                    value = work(record)
            else:
                value = work(record)
        return record, "ok", value
    except ExecutionTimeout:
        return record, "skipped", "ExecutionTimeout"
    except MemoryLimitExceeded:
        return record, "skipped", "MemoryLimitExceeded"


def shim_environment(library):
    """LD_PRELOAD and LIBGUARD_* for the worker processes only."""
    return {
        "LD_PRELOAD": os.path.abspath(library),
        "LIBGUARD_MAX_MEMORY": f"{MEMORY_LIMIT_MIB}M",
        # SIGINT to the event loop, then SIGTERM, then SIGKILL, one second
        # apart: the nanny restarts the worker, the scheduler marks the task.
        "LIBGUARD_INTERRUPT": "signal",
        "LIBGUARD_SEND_KILL": "1",
        "LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD": "1s",
        "LIBGUARD_CHECK_INTERVAL": "100ms",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shim", metavar="LIBGUARD_SO",
                        help="preload this libguard.so into the workers, with a "
                             "memory limit per worker, instead of per-record mem_guards")
    args = parser.parse_args()

    config = {
        # One task at a time per worker, so that a worker killed by the shim
        # takes down no innocent record with it, and no retry: a record that
        # blew a worker's memory limit is not worth another worker.
        "distributed.scheduler.worker-saturation": 1.0,
        "distributed.scheduler.allowed-failures": 0,
    }
    if args.shim:
        env = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
        env.update(shim_environment(args.shim))
        config["distributed.nanny.pre-spawn-environ"] = env
    mode = "shim" if args.shim else "api"

    started = time.monotonic()
    with dask.config.set(config), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         memory_limit=0,       # Dask's own memory manager off:
                         dashboard_address=None) as cluster, \
            Client(cluster) as client:         # libguard's is being shown
        futures = client.map(process, range(RECORDS), memory_guard=not args.shim,
                             pure=False)
        results = {}
        for record, future in enumerate(futures):
            try:
                _, status, value = future.result()
            except KilledWorker:
                status, value = "skipped", "KilledWorker"
            results[record] = (status, value)
            if status == "ok":
                print(f"record {record}: ok {value}", flush=True)
            else:
                print(f"record {record}: skipped ({value})", flush=True)

    ok = [r for r, (s, _) in results.items() if s == "ok"]
    skipped = [f"{r} ({v})" for r, (s, v) in results.items() if s != "ok"]
    print(f"summary: {len(ok)} ok, {len(skipped)} skipped"
          + (": " + ", ".join(skipped) if skipped else "")
          + f" [mode {mode}, {time.monotonic() - started:.1f}s]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
