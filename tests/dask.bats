#!/usr/bin/env bats
# A real distributed job (issue 9, item 5): examples/dask_job.py on a Dask
# LocalCluster of two worker processes, with /usr/bin/python3 and Debian's
# python3-distributed.  Twelve records; record 4 loops forever, record 7
# eats memory without end.  Run twice: per-record guards through the Python
# API, then the shim preloaded into the workers (a memory limit per worker
# with the signal ladder).  Either way every good record's result is there
# and the poisoned ones are skipped, each for its own reason.  Dask's
# start-up is slow: each run gets 100 s; it takes about 5.

load helpers

BATS_TEST_TIMEOUT=${BATS_DASK_TEST_TIMEOUT:-120}
PY=/usr/bin/python3

setup_file() {
    local inc
    export DASK_SKIP=''
    if [ ! -x "$PY" ]; then
        DASK_SKIP="no $PY"; return 0
    fi
    if ! "$PY" -c 'import distributed' 2>/dev/null; then
        DASK_SKIP="Dask is missing for $PY (Debian: apt-get install python3-distributed)"; return 0
    fi
    if [ -n "${GUARD_SANITIZED:-}" ]; then
        DASK_SKIP="a sanitizer's allocator and shadow memory change the workers' resident size"; return 0
    fi
    inc=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
    if [ ! -f "$inc/Python.h" ]; then
        DASK_SKIP="no Python.h for $PY (Debian: python3-dev)"; return 0
    fi
    # The package for /usr/bin/python3, built from python/setup.py against
    # the built library, as a user would (pip, Debian's setuptools, offline);
    # without pip, by the script tests/package.bats uses.
    export DASK_EXT="$BATS_FILE_TMPDIR/site"
    mkdir -p "$DASK_EXT"
    if "$PY" -c 'import setuptools, pip' 2>/dev/null; then
        local src="$BATS_FILE_TMPDIR/src"
        mkdir -p "$src"
        cp -r "$TESTS_SRC/../python" "$TESTS_SRC/../lib" "$TESTS_SRC/../configure.ac" "$TESTS_SRC/../COPYING" "$src/"
        rm -rf "$src/python/build" "$src"/python/*.egg-info
        env GUARD_LIBDIR="$(dirname "$GUARD_SO")" PIP_NO_INDEX=1 PIP_ROOT_USER_ACTION=ignore \
            "$PY" -m pip install -q --no-build-isolation --no-deps --target "$DASK_EXT" \
            "$src/python" >&3 2>&1 || { echo "# pip could not build the package for $PY" >&3; return 1; }
    else
        "$TESTS_SRC/build-package.sh" "$PY" "$DASK_EXT" >&3 2>&1 ||
            { echo "# could not build the package for $PY" >&3; return 1; }
    fi
}

setup() {
    [ -z "$DASK_SKIP" ] || skip "$DASK_SKIP"
    setup_guard_env
    JOB="$TESTS_SRC/../examples/dask_job.py"
    ERR="$BATS_TEST_TMPDIR/stderr"
}

# The job's stdout in $output, its stderr (Dask's and libguard's logs) in
# $ERR; bounded by timeout(1).
job() {
    timeout -k 5 100 env PYTHONPATH="$DASK_EXT" "$PY" "$JOB" "$@" 2>"$ERR"
}

# Every good record with the value the job computes for it.
check_good_records() {
    local r want
    for r in 0 1 2 3 5 6 8 9 10 11; do
        want=$("$PY" -c "print(sum(i * i for i in range($r * 1000)))")
        grep -qx "record $r: ok $want" <<<"$output" ||
            { echo "record $r: no 'ok $want' in:"; echo "$output"; tail -40 "$ERR"; return 1; }
    done
}

says() { grep -qE -- "$1" <<<"$output" || { echo "expected /$1/ in:"; echo "$output"; tail -40 "$ERR"; return 1; }; }

@test "Dask, per-record guards (Python API in the task threads): the poisoned records are skipped, the rest done" {
    run job
    [ "$status" -eq 0 ] || { echo "status $status:"; echo "$output"; tail -40 "$ERR"; false; }
    check_good_records
    says '^record 4: skipped \(ExecutionTimeout\)$'
    says '^record 7: skipped \(MemoryLimitExceeded\)$'
    says '^summary: 10 ok, 2 skipped: 4 \(ExecutionTimeout\), 7 \(MemoryLimitExceeded\) \[mode api'
    # The exceptions went to the task threads: no signal step, no worker lost.
    ! grep -E 'SIG(INT|TERM|KILL) to' "$ERR" || { echo "a signal step in api mode:"; cat "$ERR"; false; }
}

@test "Dask, the shim in the workers: the memory blow-up ends its worker (KilledWorker), the rest done" {
    run job --shim "$GUARD_SO"
    [ "$status" -eq 0 ] || { echo "status $status:"; echo "$output"; tail -40 "$ERR"; false; }
    check_good_records
    says '^record 4: skipped \(ExecutionTimeout\)$'
    says '^record 7: skipped \(KilledWorker\)$'
    says '^summary: 10 ok, 2 skipped: 4 \(ExecutionTimeout\), 7 \(KilledWorker\) \[mode shim'
    # It was libguard's memory guard, on the worker's main thread, that
    # began ending the worker.
    grep -qE '^libguard\[[0-9]+\]: resident memory .* over the limit of 512 MiB .*: SIGINT to main thread, step 1 of 3$' "$ERR" ||
        { echo "no memory step of the shim in the workers' log:"; tail -60 "$ERR"; false; }
}
