#!/usr/bin/env bats
# The `libguard` Python package: resiliparse.process_guard's API
# over libguard's core, on every CPython 3.8-3.13 found under `pyenv
# root`/versions and /usr/bin/python3.  setup_file builds the package for
# each interpreter (with its own headers) against the built library; each
# test runs every interpreter and names the one that failed.  The programs
# are in tests/python/package.py and the package_*.py beside it; its
# reports (log lines, logging records, warnings) are package-reports.bats's.
# Times are bounded generously (a noisy 2-core machine): the figures
# themselves are bench/'s.

load helpers
load pythons

bats_require_minimum_version 1.5.0

BATS_TEST_TIMEOUT=${BATS_PYTHON_TEST_TIMEOUT:-300}

setup_file() { build_packages; }

setup() { setup_package_suite; }

# ---- the exception ----------------------------------------------------------

check_busy() {
    pkg -- busy "$1"
    status_is 0 && ms_between EXC 290 1000 &&
        says '^EXC [0-9]+ libguard\.ExecutionTimeout$' &&
        says '^MRO ExecutionTimeout,ResiliparseGuardException,BaseException,object$' &&
        never NOTHING && says '^AFTER$'
}
@test "busy loop: ExecutionTimeout at the deadline (exception, exception_then_signal)" {
    each check_busy exception
    each check_busy exception_then_signal
}

check_blocked() {
    pkg -- blocked "$1"
    status_is 0 && ms_between EXC 290 1000 && never NOTHING && says '^AFTER$'
}
@test "the main thread blocked in sleep, select, read gets the exception at the deadline" {
    each check_blocked sleep
    each check_blocked select
    each check_blocked read
}

check_signal() {
    pkg -- signal_type
    status_is 0 && ms_between KBI 290 1000 && says '^AFTER$'
}
@test "interrupt_type=signal: SIGINT, a KeyboardInterrupt" {
    each check_signal
}

# ---- escalation ----------------------------------------------------------------

check_escalate() { # kind handlers kill -> expected steps...
    local kind=$1 handlers=$2 kill=$3 status=$4
    shift 4
    pkg -- escalate "$kind" "$handlers" "$kill"
    status_is "$status" || return 1
    local n=1 what
    for what in "$@"; do
        [ "$(printf '%s\n' "$output" | awk '$1 == "STEP" { print $2 }' | sed -n "${n}p")" = "$what" ] ||
            { echo "$PY: step $n should be $what:"; echo "$output"; return 1; }
        between "$(printf '%s\n' "$output" | awk '$1 == "STEP" { print $3 }' | sed -n "${n}p")" \
            $((n * 200 - 10)) $((n * 200 + 600)) "$PY step $n" || return 1
        n=$((n + 1))
    done
}
@test "escalation, every step ignored: exception_then_signal, exception, signal (SIGINT/SIGTERM handlers)" {
    each check_escalate exception_then_signal handlers nokill 0 ExecutionTimeout SIGINT SIGTERM
    each check_escalate exception handlers nokill 0 ExecutionTimeout ExecutionTimeout ExecutionTimeout
    each check_escalate signal handlers nokill 0 SIGINT SIGTERM SIGTERM
}
@test "escalation without handlers: KeyboardInterrupt, then SIGTERM ends the process; send_kill: SIGKILL" {
    each check_escalate exception_then_signal default nokill 143 ExecutionTimeout KeyboardInterrupt
    each check_escalate signal handlers kill 137 SIGINT SIGTERM
}

# ---- guard objects ------------------------------------------------------------------

check_reuse() {
    pkg -- reuse
    status_is 0 && says '^CM 5$' && says '^DECORATED \[0, 2, 4, 6, 8\]$' &&
        says '^NAME guarded_work guarded_work __main__$' &&
        says '^DOC Docstring of guarded_work\.$' && says '^AFTER$' || return 1
    pkg -- method
    status_is 0 && says "^METHOD \('Thing', 3\)$"
}
@test "one guard reused: context manager and decorator; name and docstring kept; methods" {
    each check_reuse
}

check_progress() {
    pkg -- progress_all
    status_is 0 && never TIMEOUT && says '^PROGRESS progress\(\) ok$' &&
        says '^PROGRESS guard\.progress\(\) ok$' && says '^PROGRESS progress\(g\) ok$' &&
        says '^PROGRESS progress\(ctx=g\) ok$' && says '^PROGRESS progress\(decorated\) ok$' &&
        says '^PROGRESS progress_loop\(it\) ok 10$' && says '^PROGRESS progress_loop\(it, g\) ok 10$' &&
        says '^NOPROGRESS timeout'
}
@test "progress: progress(), guard.progress(), progress(ctx), progress_loop" {
    each check_progress
}

check_mem() {
    pkg -- mem "$1"
    status_is 0 && says '^MEM [0-9]+ MemoryLimitExceeded$' && never NOTHING || return 1
    # 50 MiB allowed: stopped between the limit and 200 MiB (1 MiB every 2 ms)
    between "$(recorded_ms MEM)" 30 200 "$PY MiB allocated"
}
@test "mem_guard: absolute and relative (growth since entry) limits" {
    each check_mem absolute
    each check_mem relative
}

check_mem_grace() {
    pkg -- mem_grace
    status_is 0 && says '^SPIKE tolerated$' && says '^MEM after [0-9]+$'
}
@test "mem_guard grace_period: a short spike is tolerated, a long excess is not" {
    each check_mem_grace
}

check_mem_records() {
    pkg -- mem_records
    status_is 0 && never '^(SMALL|BIG) ' &&
        says '^RECORDS big 6 caught 3 small 60 stopped 0$'
}
@test "mem_guard per record: a small record is never stopped for what a previous one held" {
    each check_mem_records
}

check_args() {
    pkg -- args
    status_is 0 && never '^ACCEPTED' && says '^DEFAULTS ' &&
        [ "$(grep -c '^REJECTED' <<<"$output")" -eq 20 ] &&
        says '^REJECTED time_guard\(timeout=10\*\*30\) ValueError timeout must be at most 3153600000, got' &&
        says '^REJECTED mem_guard\(max_memory=2\*\*70\) ValueError max_memory must be at most 3153600000000, got' ||
        { echo "$output"; return 1; }
}
@test "bad arguments: TypeError or ValueError, saying what was wrong" {
    each check_args
    PY=${PYTHONS%% *}
    pkg -- args
    echo "$output" | grep -E "^(REJECTED|DEFAULTS)" >&3 || true
}

check_signatures() {
    pkg -- signatures
    status_is 0 &&
        says '^SIG time_guard timeout=60, timeout_ms=None, grace_period=15, grace_period_ms=None, interrupt_type=exception_then_signal, send_kill=False, check_interval=500$' &&
        says '^SIG mem_guard max_memory, absolute=True, grace_period=0, grace_period_ms=None, secondary_grace_period=5, secondary_grace_period_ms=None, interrupt_type=exception_then_signal, send_kill=False, check_interval=500$' &&
        says '^SIG progress ctx=None$' && says '^SIG progress_loop it, ctx=None$' &&
        says "^ENUM \[\('exception', 0\), \('signal', 1\), \('exception_then_signal', 2\)\]$"
}
@test "signatures and InterruptType: Resiliparse's names, order and defaults" {
    each check_signatures
}

check_nest() {
    pkg -- nest
    status_is 0 && says '^INNER 0 ' && says '^INNER 2 ' && says '^OUTER-PROGRESSED ' &&
        says '^MEM-IN-TIME$' && ms_between OUTER 900 2500 &&
        between "$(printf '%s\n' "$output" | awk '$1 == "INNER" && $2 == 2 { print $3 }')" \
            290 1500 "$PY third inner guard"
}
@test "guards nest: inner ones fire first, progress() reaches the innermost time guard" {
    each check_nest
}

check_threads() {
    pkg -- threads
    status_is 0 && says '^MAIN untouched$' && never nothing || return 1
    local i
    for i in 0 1 2 3; do
        between "$(printf '%s\n' "$output" | awk -v i=$i '$1 == "THREAD" && $2 == i { print $3 }')" \
            $((190 + 100 * i)) $((1500 + 100 * i)) "$PY thread $i" || return 1
    done
}
@test "guards in threads: each thread gets its own exception, the main thread none" {
    each check_threads
}

check_switch_interval() {
    pkg -- switch_interval
    status_is 0 && says '^INTERVAL 1.0$' && says '^LATE -?[0-9]+ 3$' &&
        between "$(printf '%s\n' "$output" | awk '$1 == "LATE" { print $2 }')" 0 150 "$PY lateness"
}
@test "a busy thread gets its exception before the next GIL switch; the program's switch interval is kept" {
    each check_switch_interval
}

check_pool() {
    local method
    for method in fork spawn; do
        pkg LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=1 LIBGUARD_CHILDREN=none -- pool "$method"
        status_is 0 && says '^IN workers$' &&
            says '^RESULTS done:0.05 done:0.05 timeout:-1 done:1.2 done:0.05$' ||
            { echo "($method)"; return 1; }
    done
}
@test "multiprocessing pools (fork, spawn) under the shim with LIBGUARD_CHILDREN=none: idle workers untouched, a runaway task times out in its worker" {
    each check_pool
}

check_thread_signal() {
    pkg -- thread_signal
    status_is 0 && says '^MAIN KeyboardInterrupt$'
}
@test "a signal step of a guard in another thread is handled by the main thread (documented)" {
    each check_thread_signal
}

check_pickle() {
    pkg -- pickling spawn
    status_is 0 && says '^BYREF True$' &&
        says "^ROUNDTRIP work Times out, says so\. \('timeout', 7\)$" &&
        says '^GUARD <TimeGuard timeout_ms=3000 grace_period_ms=250 interrupt_type=signal' &&
        says '^GUARD <MemGuard max_memory=4096 absolute=False' && says '^EXC True x$' &&
        says "^POOL \[\('timeout', 1\), \('timeout', 2\), \('timeout', 3\)\] in children$"
}
@test "pickling: decorated functions (by reference), guards, exceptions; multiprocessing" {
    each check_pickle
}

# cloudpickle is pure Python: interpreters without their own use Debian's
# (python3-cloudpickle, installed by ./bootstrap --install-deps).
check_cloudpickle() {
    local vars=() debian=/usr/lib/python3/dist-packages/cloudpickle
    if ! "$PY" -c 'import cloudpickle' 2>/dev/null; then
        [ -d "$debian" ] || { echo "$PY: no cloudpickle, and no $debian either"; return 1; }
        mkdir -p "$BATS_TEST_TMPDIR/cloudpickle-only"
        ln -sfn "$debian" "$BATS_TEST_TMPDIR/cloudpickle-only/cloudpickle"
        vars=(PYTHONPATH="$(pkg_dir "$PY"):$TESTS_SRC/python:$BATS_TEST_TMPDIR/cloudpickle-only")
    fi
    pkg "${vars[@]}" -- cloudpickled
    status_is 0 && says "^CLOUD work \('timeout', 5\) 0"
}
@test "cloudpickle (Dask, PySpark): a guarded function of __main__ travels by value" {
    each check_cloudpickle
}

check_race() {
    pkg -- race
    status_is 0 && says '^RACE caught [0-9]+ stray 0$'
}
@test "leaving a guard as it fires: no exception after the guard was left" {
    each check_race
}

check_own_signal() {
    pkg -- own_signal "$1"
    status_is 0 && ms_between EXC 290 1500 && says "^HANDLER program's$"
}
@test "a program that handles SIGURG (before or after the import) keeps it; the exception still comes" {
    each check_own_signal before
    each check_own_signal after
}

check_blocked_signal() {
    pkg -- blocked_signal
    status_is 0 && ms_between EXC 290 1500 && says '^EXC [0-9]+ ExecutionTimeout$' &&
        says '^MASK kept$' && says '^PENDING$'
}
@test "a main thread that blocks the package's signal still gets the exception at the first step; its mask is kept" {
    each check_blocked_signal
}

# ---- a bad LIBGUARD_* setting at import ------------------------------------------

BAD_LINE='libguard: LIBGUARD_TIMEOUTT is not a libguard setting \(did you mean LIBGUARD_TIMEOUT\?\)'

# bad_settings [VAR=VALUE...]: tests/python/bad_settings.py with $PY, a
# misspelled variable and LIBGUARD_TIMEOUT=0.3.
bad_settings() {
    PROG="$TESTS_SRC/python/bad_settings.py" pkg LIBGUARD_TIMEOUTT=1 LIBGUARD_TIMEOUT=0.3 "$@" --
}
check_import_raises() {
    bad_settings
    status_is 0 && says "^RAISED ValueError $BAD_LINE\$" && says "^AGAIN ValueError $BAD_LINE\$" &&
        says '^ALIVE$' && never '^GUARD' && never 'not starting the program' || return 1
    bad_settings LIBGUARD_ON_ERROR=warn
    status_is 0 && says "^WARNED RuntimeWarning $BAD_LINE\$" && says '^GUARD unarmed$' &&
        says '^ALIVE$' && never '^RAISED' || return 1
    # Preloaded, the shim keeps its fail-closed exit before main.
    bad_settings LD_PRELOAD="$GUARD_PRELOAD"
    status_is 125 && says "^$BAD_LINE\$" && never '^(RAISED|ALIVE)'
}
@test "a bad LIBGUARD_* setting: import libguard raises ValueError (warns with LIBGUARD_ON_ERROR=warn), the process goes on; preloaded: status 125" {
    each check_import_raises
}

# Running unguarded, libguard leaves every signal to the program, even the
# one LIBGUARD_PYTHON_SIGNAL names: SIGTERM here, which then ends it.
check_unguarded_signal() {
    run timeout -k 5 60 env PYTHONPATH="$(pkg_dir "$PY")" LIBGUARD_TIMEOUTT=1 \
        LIBGUARD_ON_ERROR=warn LIBGUARD_PYTHON_SIGNAL=SIGTERM "$@" "$PY" -W ignore -c '
import os, signal, time, libguard
print("IMPORTED", signal.getsignal(signal.SIGTERM), flush=True)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(2)
print("SURVIVED")'
    status_is 143 && says '^IMPORTED ' && never SURVIVED
}
@test "a bad setting with LIBGUARD_ON_ERROR=warn: import libguard takes no signal (alone, and with the shim)" {
    each check_unguarded_signal
    each check_unguarded_signal LD_PRELOAD="$GUARD_PRELOAD"
}

# ---- installing -----------------------------------------------------------------------

@test "pip install --no-build-isolation from the source tree (Debian's setuptools, offline)" {
    PY=/usr/bin/python3
    "$PY" -c 'import setuptools, pip' 2>/dev/null || skip "no pip or setuptools for $PY"
    src="$BATS_TEST_TMPDIR/src"
    mkdir -p "$src"
    cp -r "$TESTS_SRC/../python" "$TESTS_SRC/../lib" "$TESTS_SRC/../configure.ac" "$TESTS_SRC/../COPYING" "$src/"
    rm -rf "$src/python/build" "$src"/python/*.egg-info
    run env GUARD_LIBDIR="$(dirname "$GUARD_SO")" PIP_NO_INDEX=1 \
        "$PY" -m pip install -q --no-build-isolation --no-deps --target "$BATS_TEST_TMPDIR/site" "$src/python"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    run env PYTHONPATH="$BATS_TEST_TMPDIR/site" "$PY" -c '
import libguard, time
try:
    with libguard.time_guard(timeout_ms=100):
        time.sleep(5)
except libguard.ExecutionTimeout:
    print("OK", libguard.__file__)'
    [ "$status" -eq 0 ] && [[ "$output" == *"OK $BATS_TEST_TMPDIR/site/"* ]] || { echo "$output"; false; }
}
