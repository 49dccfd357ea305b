#!/usr/bin/env bats
# The `libguard` Python package's reports: the core's log lines (with
# LIBGUARD_LOG, or the shim's), the Python stacks at a first step, and the
# `libguard` logger's records and warnings, on every CPython 3.8-3.13 found
# (as tests/package.bats, whose programs in tests/python/ they share).

load helpers
load pythons

bats_require_minimum_version 1.5.0

BATS_TEST_TIMEOUT=${BATS_PYTHON_TEST_TIMEOUT:-300}

setup_file() { build_packages; }

setup() { setup_package_suite; }

# ---- the core's log ----------------------------------------------------------------

# With LIBGUARD_LOG set, the package's guards are logged as the shim's are:
# the exception named, and the Python stacks at the first step.
check_core_log() {
    run --separate-stderr timeout -k 5 60 env PYTHONPATH="$(pkg_dir "$PY")" LIBGUARD_LOG=stderr \
        "$PY" -c '
import time, libguard
def stuck_here():
    time.sleep(5)
try:
    with libguard.time_guard(timeout_ms=200):
        stuck_here()
except libguard.ExecutionTimeout:
    print("EXC")'
    output="$output
$stderr"
    status_is 0 && says '^EXC$' &&
        says '^libguard\[[0-9]+\]: no progress for [0-9]+ms \(limit 200ms\): ExecutionTimeout to main thread, step 1 of 3$' &&
        says '^libguard\[[0-9]+\]: Python stacks, most recent call first; main thread is the "Current thread"' &&
        says '^libguard\[[0-9]+\]:   File "<string>", line 4 in stuck_here$' &&
        never 'interrupt handler|no stack for native code'
}
@test "the package alone with LIBGUARD_LOG: the step line names ExecutionTimeout, the Python stacks follow" {
    each check_core_log
}

# A guard in another thread: the helper thread that raises there logs the
# stacks (holding the GIL), the thread's among them, and not its own.
check_core_log_thread() {
    run --separate-stderr timeout -k 5 60 env PYTHONPATH="$(pkg_dir "$PY")" LIBGUARD_LOG=stderr \
        "$PY" -c '
import threading, time, libguard
def stuck_here():
    time.sleep(5)
def work():
    try:
        with libguard.time_guard(timeout_ms=200):
            stuck_here()
    except libguard.ExecutionTimeout:
        print("EXC")
t = threading.Thread(target=work)
t.start()
t.join()'
    output="$output
$stderr"
    status_is 0 && says '^EXC$' &&
        says '^libguard\[[0-9]+\]: Python stacks, most recent call first \(thread [0-9]+ not marked\):$' &&
        says '^libguard\[[0-9]+\]:   File "<string>", line 4 in stuck_here$' &&
        says '^libguard\[[0-9]+\]:   File "<string>", line 13 in <module>$' &&
        never 'Current thread|no Python frame'
}
@test "the package alone with LIBGUARD_LOG, a guard in another thread: its stack among the others, no helper's" {
    each check_core_log_thread
}

# The Python stacks of 20 first steps (the most a process logs), while the
# main thread pushes and frees frames all the time (tests/python/churn.py),
# twice per interpreter: they are read only while those frames stand still.
check_churn() {
    local log="$BATS_TEST_TMPDIR/churn.log" round n
    for round in 1 2; do
        rm -f "$log"
        run --separate-stderr timeout -k 5 60 env PYTHONPATH="$(pkg_dir "$PY")" \
            LIBGUARD_LOG="$log" "$PY" "$TESTS_SRC/python/churn.py" 20
        status_is 0 && says '^caught 20$' || return 1
        output=$(cat "$log")
        n=$(grep -c '^libguard\[[0-9]*\]: Python stacks, most recent call first; main thread is the "Current thread"' <<<"$output")
        [ "$n" -eq 20 ] && [ "$(grep -c ': end of the Python stacks$' <<<"$output")" -eq 20 ] ||
            { echo "$PY: $n stacks of 20 begun, or not all ended:"; echo "$output" | grep -v ' File '; return 1; }
        says '^libguard\[[0-9]+\]:   File "[^"]*churn\.py", line [0-9]+ in deep$' || return 1
    done
}
@test "Python stacks at 20 first steps while the stack changes all the time: the program runs on, each dump whole" {
    each check_churn
}

# ---- with the shim -----------------------------------------------------------------

check_shim() {
    pkg LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=0.4 -- shim
    status_is 0 && ms_between PROGRESSED 900 3000 && ms_between EXC 390 1500 &&
        says '^EXC [0-9]+ libguard\.ExecutionTimeout True$' && never 'handles SIGURG itself'
}
@test "with the shim preloaded: one core; progress() reaches the process guard, whose exception is the package's" {
    each check_shim
}

# ---- reporting: logging and warnings, raw lines only when asked ---------------------

stderr_to() { local file=$1; shift; "$@" 2>"$file"; }
# pkg_err [VAR=VALUE...] -- ARGS...: pkg with stderr apart, in $errors.
pkg_err() {
    local err="$BATS_TEST_TMPDIR/stderr" vars=()
    while [ "$1" != "--" ]; do vars+=("$1"); shift; done
    shift
    run stderr_to "$err" timeout -k 5 "${PY_LIMIT:-60}" \
        env PYTHONPATH="$(pkg_dir "$PY"):$TESTS_SRC/python" "${vars[@]}" "$PY" "$PROG" "$@"
    errors=$(cat "$err")
}
# logging.basicConfig()'s default format: LEVEL:LOGGER:MESSAGE.
step_record='^WARNING:libguard:no progress for [0-9]+ms \(limit 50ms\): ExecutionTimeout to main thread, step 1 of 3$'
raw_step='^libguard\[[0-9]+\]: no progress for [0-9]+ms \(limit 50ms\): .* to main thread, step 1 of 3$'
count_is() { # N PATTERN: N lines of $errors match
    local n
    n=$(grep -cE -- "$2" <<<"$errors" || true)
    [ "$n" -eq "$1" ] || { echo "$PY: $n lines /$2/ on stderr, expected $1:"; echo "$errors"; return 1; }
}

check_quiet() {
    pkg_err -- five plain
    status_is 0 && says '^CAUGHT 5$' &&
        { [ -z "$errors" ] || { echo "$PY: stderr:"; echo "$errors"; false; }; }
}
@test "five guards firing in a plain loop write nothing on stderr" {
    each check_quiet
}

check_logging() {
    pkg_err -- five logging
    status_is 0 && says '^CAUGHT 5$' && count_is 5 "$step_record" && count_is 5 .
}
@test "with logging.basicConfig(): one WARNING of the libguard logger per step, nothing else" {
    each check_logging
}

check_ladder_reports() {
    local target=$2
    pkg -- ladder_reports "$1"
    status_is 0 && says '^CAUGHT 3$' &&
        says "^LOG WARNING no progress for [0-9]+ms \(limit 100ms\): ExecutionTimeout to $target, step 1 of 3\$" &&
        says "^LOG WARNING .*: ExecutionTimeout to $target, step 2 of 3\$" &&
        says "^LOG WARNING .*: ExecutionTimeout to $target, step 3 of 3\$" &&
        [ "$(grep -c '^LOG' <<<"$output")" -eq 3 ] &&
        says "^WARN RuntimeWarning $target: no progress after 3 ExecutionTimeout exceptions" &&
        [ "$(grep -c '^WARN' <<<"$output")" -eq 1 ]
}
@test "the exception ladder's third step: a RuntimeWarning that catch_warnings records (main thread, other thread)" {
    each check_ladder_reports main 'main thread'
    each check_ladder_reports thread 'thread [0-9]+'
}

check_blocked_log() {
    pkg -- blocked_log
    status_is 0 && says '^EXC [0-9]+$' &&
        between "$(awk '$1 == "EXC" { print $2 }' <<<"$output")" 450 4000 "$PY ms to the second step"
}
@test "a log handler that blocks (a full pipe) delays another thread's exception by one step, no more" {
    each check_blocked_log
}

check_log_stderr() {
    pkg_err LIBGUARD_LOG=stderr -- five logging
    status_is 0 && says '^CAUGHT 5$' && count_is 5 "$raw_step" && count_is 0 '^WARNING:libguard:'
}
@test "LIBGUARD_LOG=stderr: the core's raw lines, and no logging records doubling them" {
    each check_log_stderr
}

check_shim_log() {
    pkg_err LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=60 -- five logging
    status_is 0 && says '^CAUGHT 5$' && count_is 5 "$raw_step" && count_is 0 '^WARNING:libguard:' &&
        pkg_err LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=0.4 -- shim &&
        status_is 0 && says '^EXC ' &&
        grep -qE '^libguard\[[0-9]+\]: no progress for [0-9.]+m?s \(limit 400ms\): .* to main thread, step 1 of 3$' <<<"$errors" ||
        { echo "$PY: stderr:"; echo "$errors"; false; }
}
@test "under the shim with LIBGUARD_TIMEOUT: the shim's log on stderr as before" {
    each check_shim_log
}
