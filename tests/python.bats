#!/usr/bin/env bats
# Unmodified CPython under the shim: ExecutionTimeout and
# MemoryLimitExceeded in the main thread, promptly, on every CPython 3.8-3.13
# found under `pyenv root`/versions and /usr/bin/python3.  Each test runs
# every interpreter found and names the one that failed.  The programs are
# in tests/python/scenario.py; "EXC <ms>" there is measured from the
# program's last progress report, so it is the timeout plus the latency.

load helpers
load pythons

bats_require_minimum_version 1.5.0

# Each test runs every interpreter: allow for it (run-bats' default is 60 s).
BATS_TEST_TIMEOUT=${BATS_PYTHON_TEST_TIMEOUT:-300}

setup_file() {
    find_pythons
    echo "# CPython 3.8-3.13 tested: ${PYTHONS:-none}" >&3
    echo "# older interpreters (see the last test): ${OLD_PYTHONS:-none}" >&3
    echo "# newer interpreters (not supported yet, not tested): ${NEWER_PYTHONS:-none}" >&3
}

setup() {
    setup_guard_env
    SCENARIO="$TESTS_SRC/python/scenario.py"
    [ -n "$PYTHONS" ] || fail_now "no CPython 3.8-3.13 found (pyenv root, /usr/bin/python3)"
}

fail_now() { echo "$*"; return 1; }

# py VAR=VALUE... -- ARGS...: run scenario.py ARGS with $PY under the shim,
# in the foreground (so SIGINT is not ignored), bounded by timeout(1) which
# itself is not guarded.
py() {
    local vars=()
    while [ "$1" != "--" ]; do vars+=("$1"); shift; done
    shift
    # stdout and stderr apart: the first step's system call line is logged
    # after the exception went out, while the program prints
    # (PYTHONUNBUFFERED splits a print into several writes).
    run --separate-stderr timeout -k 5 "${PY_LIMIT:-30}" env LD_PRELOAD="$GUARD_SO" "${vars[@]}" \
        "$PY" "$SCENARIO" "$@"
    output="$output
$stderr"
}



# ---- one exception ---------------------------------------------------------

check_busy() {
    py LIBGUARD_TIMEOUT=0.5 -- blocking busy
    status_is 0 &&
        ms_between EXC 490 750 &&
        says '^EXC [0-9]+ libguard\.ExecutionTimeout$' &&
        says '^MRO ExecutionTimeout,ResiliparseGuardException,BaseException,object$' &&
        says '^MSG no progress for [0-9.]+m?s \(limit 500ms\)$' &&
        says 'ExecutionTimeout to main thread, step 1 of 3' &&
        never SWALLOWED && says '^AFTER$'
}
@test "busy loop: ExecutionTimeout (a BaseException, not an Exception) at the deadline" {
    each check_busy
}

check_blocking() {
    local call
    for call in sleep select read recv event lock; do
        py LIBGUARD_TIMEOUT=0.5 LIBGUARD_INTERRUPT=exception -- blocking "$call"
        status_is 0 && ms_between EXC 490 600 &&
            says '^EXC [0-9]+ libguard\.ExecutionTimeout$' && says '^AFTER$' ||
            { echo "($call)"; return 1; }
        printf '%s %s %s\n' "$("$PY" -V 2>&1 | cut -d' ' -f2)" "$call" "$(recorded_ms EXC)" \
            >>"$BATS_FILE_TMPDIR/latency"
    done
}
@test "inside time.sleep, select, os.read, socket recv, Event.wait, Lock.acquire: within 100 ms of the step" {
    each check_blocking
    echo "# ms from the last progress to the exception (timeout 500 ms):" >&3
    awk '$1 != v { if (v) print line; v = $1; line = "#   " v ":" } { line = line " " $2 " " $3 }
         END { print line }' "$BATS_FILE_TMPDIR/latency" >&3
}

check_join() {
    py LIBGUARD_TIMEOUT=0.5 -- blocking join
    status_is 0 && ms_between EXC 490 700 && says '^EXC [0-9]+ libguard\.ExecutionTimeout$'
}
@test "main thread in thread.join() while a worker spins: the exception ends the join" {
    each check_join
}

# ---- ladders ---------------------------------------------------------------

check_exception_ladder() {
    py LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=exception -- ladder 3
    status_is 0 &&
        ms_between EXC1 290 450 && ms_between EXC2 590 750 && ms_between EXC3 890 1050 &&
        [ "$(grep -c 'libguard\.ExecutionTimeout$' <<<"$output")" -eq 3 ] &&
        [ "$(grep -c '^CONTEXT none$' <<<"$output")" -eq 3 ] &&
        says 'did not react to 3 exceptions' && never KeyboardInterrupt && says '^DONE'
}
@test "exception ladder: three ExecutionTimeouts, one per step, none chained" {
    each check_exception_ladder
}

check_signal_ladder() {
    py LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal -- ladder 2
    status_is 143 && ms_between EXC1 290 450 &&
        says '^EXC1 [0-9]+ builtins\.KeyboardInterrupt$' && never ExecutionTimeout
}
@test "signal ladder: KeyboardInterrupt, then SIGTERM ends the program" {
    each check_signal_ladder
}

check_mixed_ladder() {
    py LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 -- ladder 2
    status_is 0 &&
        ms_between EXC1 290 450 && says '^EXC1 [0-9]+ libguard\.ExecutionTimeout$' &&
        ms_between EXC2 590 750 && says '^EXC2 [0-9]+ builtins\.KeyboardInterrupt$' &&
        [ "$(grep -c '^CONTEXT none$' <<<"$output")" -eq 2 ]
}
@test "default ladder: ExecutionTimeout, then KeyboardInterrupt, not chained to it" {
    each check_mixed_ladder
}

check_own_sigint() {
    py LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 -- own_sigint
    status_is 143 &&
        says '^EXC1 [0-9]+ libguard\.ExecutionTimeout$' && ms_between OWN_SIGINT 590 750 &&
        says 'SIGTERM to main thread, step 3 of 3'
}
@test "a program with its own SIGINT handler: ExecutionTimeout, its handler, then SIGTERM" {
    each check_own_sigint
}

# ---- a program that handles the route's signal -------------------------------

check_own_sigurg() {
    py LIBGUARD_TIMEOUT=0.3 -- own_sigurg busy
    status_is 0 && says 'handles SIGURG itself' && ms_between EXC 290 600 &&
        says '^EXC [0-9]+ libguard\.ExecutionTimeout$' && says '^URG_CALLS 0$' || return 1
    # The slower route cannot enter a blocking call: it waits for the return.
    py LIBGUARD_TIMEOUT=0.3 -- own_sigurg sleep
    status_is 0 && ms_between EXC 1490 1800 && says '^URG_CALLS 0$' || return 1
    # Another signal for libguard gives the prompt route back.
    py LIBGUARD_TIMEOUT=0.3 LIBGUARD_PYTHON_SIGNAL=SIGUSR2 -- own_sigurg sleep
    status_is 0 && never 'handles' && ms_between EXC 290 400
}
@test "a program that handles SIGURG keeps it: slower route, said once in the log" {
    each check_own_sigurg
}

check_blocked_sigurg() {
    py LIBGUARD_TIMEOUT=1 -- blocked_sigurg
    status_is 0 && says 'the main thread blocks SIGURG' && ms_between EXC 990 1500 &&
        says '^EXC [0-9]+ libguard\.ExecutionTimeout$' && says 'ExecutionTimeout to main thread, step 1 of 3' &&
        says '^MASK kept$' && says '^PENDING$' && never 'step 2 of 3'
}
@test "a main thread that blocks SIGURG: the exception at the first step (slower route, said once); the mask is kept" {
    each check_blocked_sigurg
}

# ---- the watchdog does not wait for the interpreter ---------------------------

check_gil() {
    local t0 t1
    t0=$(date +%s%N)
    py LIBGUARD_TIMEOUT=1 LIBGUARD_GRACE_PERIOD=1 -- gil sum
    t1=$(date +%s%N)
    status_is 143 && says '^START$' && never RETURNED &&
        says 'SIGINT to main thread, step 2 of 3' && says 'SIGTERM to main thread, step 3 of 3' &&
        between $(((t1 - t0) / 1000000)) 2900 4500 "$PY wall ms" || return 1
    # The regex engine checks for signals: the first step ends it.
    py LIBGUARD_TIMEOUT=1 LIBGUARD_GRACE_PERIOD=1 -- gil regex
    status_is 0 && ms_between EXC 990 1300 && says '^EXC [0-9]+ libguard\.ExecutionTimeout$'
}
@test "a C call holding the GIL: SIGINT and SIGTERM still on schedule, ended within ~3 s" {
    each check_gil
}

# ---- threads and processes ----------------------------------------------------

check_threads() {
    py LIBGUARD_TIMEOUT=0.3 -- threads
    status_is 0 && says '^EXC [0-9]+ libguard\.ExecutionTimeout$' &&
        says '^WORKER alive-after problems=0$'
}
@test "other threads are unaffected" {
    each check_threads
}

check_processes() {
    local method
    for method in fork spawn; do
        # The parent reports progress; the child has its own guard and clock.
        py LIBGUARD_TIMEOUT=0.4 -- processes "$method"
        status_is 0 && says '^CHILD 42 ' || { echo "($method)"; return 1; }
    done
}
@test "multiprocessing children (fork, spawn) get their own ExecutionTimeout" {
    each check_processes
}

# ---- memory -----------------------------------------------------------------

check_memory() {
    py LIBGUARD_MAX_MEMORY=100M -- memory
    status_is 0 && says '^EXC [0-9]+ libguard\.MemoryLimitExceeded$' &&
        says '^MRO MemoryLimitExceeded,ResiliparseGuardException,BaseException,object$' &&
        says '^MSG resident memory .* over the limit of 100 MiB' &&
        never NOT_RAISED && says '^CONTINUED ' &&
        between "$(awk '$1 == "HELD_MIB" { print $2 }' <<<"$output")" 50 400 "$PY MiB held"  # the interpreter itself holds 10-20 MiB
}
@test "memory: MemoryLimitExceeded; the program catches it, frees and finishes" {
    each check_memory
}

# ---- start-up and exit ----------------------------------------------------------

check_site() {
    local dir="$BATS_TEST_TMPDIR/site"
    mkdir -p "$dir"
    # Start-up (sitecustomize) outlasts the timeout: the step waits for it.
    printf 'import time\nt = time.monotonic()\nwhile time.monotonic() - t < 0.5:\n    pass\n' \
        >"$dir/sitecustomize.py"
    run timeout 30 env LD_PRELOAD="$GUARD_SO" LIBGUARD_TIMEOUT=0.2 PYTHONPATH="$dir" \
        "$PY" -c 'import time; time.sleep(5); print("NOT_INTERRUPTED")'
    says 'still starting up' && says 'ExecutionTimeout' && never 'Fatal Python error' &&
        never NOT_INTERRUPTED && status_is 1 || return 1
    # A deadline before the interpreter is even initialised: deferred too,
    # never the signal ladder (SIGINT would kill it or abort start-up).
    run timeout 30 env LD_PRELOAD="$GUARD_SO" LIBGUARD_TIMEOUT=0.002 \
        "$PY" -c 'import time; time.sleep(5); print("NOT_INTERRUPTED")'
    says 'still starting up' && says 'ExecutionTimeout' && never 'Fatal Python error' &&
        never 'KeyboardInterrupt|SIGINT|no exception can be raised' && never NOT_INTERRUPTED &&
        status_is 1
}
@test "no exception while Python starts or site imports: it comes when the program starts" {
    each check_site
}

check_own_sitecustomize() {
    local dir="$BATS_TEST_TMPDIR/own"
    mkdir -p "$dir"
    # libguard's built-in sitecustomize runs the program's in its place, once.
    printf 'print("OWN", __file__)\nX = 42\n' >"$dir/sitecustomize.py"
    run timeout 30 env LD_PRELOAD="$GUARD_SO" LIBGUARD_TIMEOUT=0.3 PYTHONPATH="$dir" \
        "$PY" -c 'import sitecustomize, time; print("X", sitecustomize.X); time.sleep(5); print("NOT_INTERRUPTED")'
    says "^OWN $dir/sitecustomize.py\$" && says '^X 42$' && says 'ExecutionTimeout' &&
        never '^NOT_INTERRUPTED$' && [ "$(grep -c '^OWN' <<<"$output")" -eq 1 ] || return 1
    # A failing one is reported by site as without libguard; the program runs.
    printf 'raise ValueError("boom")\n' >"$dir/sitecustomize.py"
    run timeout 30 env LD_PRELOAD="$GUARD_SO" LIBGUARD_TIMEOUT=0.3 PYTHONPATH="$dir" \
        "$PY" -c 'import time; time.sleep(5); print("NOT_INTERRUPTED")'
    says '^Error in sitecustomize' && says '^ValueError: boom' && says 'ExecutionTimeout' &&
        never '^NOT_INTERRUPTED$' || return 1
    # python -S imports no site: the exception comes all the same.
    run timeout 30 env LD_PRELOAD="$GUARD_SO" LIBGUARD_TIMEOUT=0.3 \
        "$PY" -S -c 'import time; time.sleep(5); print("NOT_INTERRUPTED")'
    says 'ExecutionTimeout' && never '^NOT_INTERRUPTED$' && status_is 1
}
@test "the program's own sitecustomize still runs (a failing one is reported by site); python -S is guarded too" {
    each check_own_sitecustomize
}

exit_races() {
    local i delay codes='' extra=$1
    for i in $(seq 1 50); do
        delay=$((30 + (i * 37) % 60)) # 30..89 ms around a 60 ms timeout
        PY_LIMIT=10 py LIBGUARD_TIMEOUT=0.06 LIBGUARD_LOG=none -- exit_race "$delay" $extra
        case $status in
        0 | 1 | 3) ;;
        *) echo "$PY: run $i (exit after ${delay} ms): status $status"; echo "$output"; return 1 ;;
        esac
        never 'Fatal Python error|Segmentation|SystemError' || return 1
        codes="$codes $status"
    done
    # Both outcomes happened: the races were real.
    grep -qw 3 <<<"$codes" && grep -qw 0 <<<"$codes" ||
        { echo "$PY: statuses$codes"; return 1; }
}
check_exit_signal() { exit_races; }
check_exit_pending() { exit_races urg; }
@test "exit races (signal route): 50 runs per interpreter, no crash, no hang" {
    each check_exit_signal
}
@test "exit races (pending-call route): 50 runs per interpreter, no crash, no hang" {
    each check_exit_pending
}

# ---- the libguard package's classes ----------------------------------------

# The shim raises libguard.so's classes, which the package exports: the
# program may import the package before the exception or after it.  (A
# timeout of 1 s: importing the package, logging and all, is part of it.)
check_package() {
    local dir="$BATS_TEST_TMPDIR/pkg-$(echo "$PY" | tr / _)"
    "$TESTS_SRC/build-package.sh" "$PY" "$dir" >/dev/null 2>&1 ||
        { echo "$PY: could not build the package"; return 1; }
    py LIBGUARD_TIMEOUT=1 PYTHONPATH="$dir" -- package
    says '^PACKAGE_CLASS True$' || return 1
    py LIBGUARD_TIMEOUT=1 PYTHONPATH="$dir" -- package_unimported
    says '^IMPORTED_BEFORE False$' && says '^PACKAGE_CLASS True$'
}
@test "the libguard package's classes are the ones raised, imported before the exception or after" {
    each check_package
}

@test "CPython older than 3.8 (no audit hooks): the signal ladder, and the log says so" {
    [ -n "$OLD_PYTHONS" ] || skip "no CPython older than 3.8 found"
    local bad=''
    for PY in $OLD_PYTHONS; do
        run timeout 30 env LD_PRELOAD="$GUARD_SO" LIBGUARD_TIMEOUT=0.3 "$PY" -c '
import time
try:
    while True: time.monotonic()
except KeyboardInterrupt: print("KI")'
        { says 'no exception can be raised' && says '^KI$'; } || bad="$bad $PY"
    done
    [ -z "$bad" ]
}
