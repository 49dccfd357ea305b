#!/usr/bin/env bats
# Traceback at the first step: where the target was when
# its guard fired, in the log.  CPython: the Python stacks of all threads,
# the target first, on every CPython 3.8-3.13 under `pyenv root`/versions and
# /usr/bin/python3; native programs: the system call the target is in, and
# once, how to get a native stack.  The program is tests/python/stuck.py.

load helpers
load pythons

bats_require_minimum_version 1.5.0

BATS_TEST_TIMEOUT=${BATS_PYTHON_TEST_TIMEOUT:-300}

setup_file() {
    find_pythons
    echo "# CPython 3.8-3.13 tested: ${PYTHONS:-none}" >&3
}

setup() {
    setup_guard_env
    STUCK="$TESTS_SRC/python/stuck.py"
    LOGFILE="$BATS_TEST_TMPDIR/guard.log"
}

# The line of stuck.py holding MARK.
line_of() { grep -n -- "$1" "$STUCK" | head -1 | cut -d: -f1; }

# py VAR=VALUE... -- ARGS...: stuck.py ARGS with $PY under the shim, timed
# out at 1 s, bounded by timeout(1) (not guarded).
py() {
    local vars=()
    while [ "$1" != "--" ]; do vars+=("$1"); shift; done
    shift
    # stdout and stderr apart: the watchdog logs the target's system call
    # after the exception went out, while the program prints (unbuffered,
    # with PYTHONUNBUFFERED).
    run --separate-stderr timeout -k 5 30 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=1 \
        "${vars[@]}" "$PY" "$STUCK" "$@"
    output="$output
$stderr"
}

# has TEXT: a line of $output contains TEXT (fixed string), else say so.
has() {
    grep -qF -- "$1" <<<"$output" && return 0
    echo "missing: $1"; echo "output was:"; echo "$output"; return 1
}

# The stack lines, written as the exception is raised; the program exits at
# once, so all of them are in the log when the test reads it.
check_sleeping() {
    py -- sleep
    [ "$status" -eq 3 ] || { echo "status $status"; echo "$output"; return 1; }
    has "EXC ExecutionTimeout" &&
    has "ExecutionTimeout to main thread, step 1 of 3" &&
    has "main thread is sleeping (S), in system call" &&
    has "main thread is the \"Current thread\"" &&
    has "File \"$STUCK\", line $(line_of '  # STUCK-LINE') in stuck_here" &&
    has "end of the Python stacks" &&
    [ "$(grep -c 'Python stacks, most recent call first' <<<"$output")" -eq 1 ]
}

@test "CPython sleeping in a function: its file, line and name in the log at step 1" {
    each check_sleeping
}

check_busy() {
    py -- busy
    [ "$status" -eq 3 ] || { echo "status $status"; echo "$output"; return 1; }
    has "main thread is running (R)" || return 1
    # A snapshot of a running loop: any line of it (or inside tick()).
    local n first last
    n=$(sed -n "s|.*File \"$STUCK\", line \([0-9]*\) in stuck_here\$|\1|p" <<<"$output")
    first=$(line_of 'def stuck_here'); last=$(line_of '  # STUCK-LINE')
    [ -n "$n" ] && [ "$n" -gt "$first" ] && [ "$n" -le "$last" ] ||
        { echo "no line of stuck_here's loop ($first-$last):"; echo "$output"; return 1; }
}

@test "CPython computing: a line of the loop it is in" {
    each check_busy
}

# The target (main, in join) first and marked, then the worker.
check_threads() {
    py -- thread
    [ "$status" -eq 3 ] || { echo "status $status"; echo "$output"; return 1; }
    has "File \"$STUCK\", line $(line_of WORKER-LINE) in worker_stuck" || return 1
    local stacks
    stacks=$(sed -n 's/^libguard\[[0-9]*\]: \(Current thread\|Thread\) .*/\1/p' <<<"$output" | tr '\n' ,)
    [ "$stacks" = "Current thread,Thread," ] || { echo "threads listed: $stacks"; echo "$output"; return 1; }
    local current_block
    current_block=$(sed -n '/Current thread/,/Thread 0x/p' <<<"$output")
    grep -qF "line $(line_of JOIN-LINE) in stuck_here" <<<"$current_block" ||
        { echo "main thread's block: $current_block"; return 1; }
}

@test "CPython with a second thread: every thread, the target first" {
    each check_threads
}

check_file() {
    rm -f "$LOGFILE"
    py LIBGUARD_LOG="$LOGFILE" -- sleep
    [ "$status" -eq 3 ] || { echo "status $status"; echo "$output"; return 1; }
    if grep -q 'libguard\[' <<<"$output"; then echo "log on stderr: $output"; return 1; fi
    output=$(cat "$LOGFILE")
    has "ExecutionTimeout to main thread, step 1 of 3" &&
    has "File \"$STUCK\", line $(line_of '  # STUCK-LINE') in stuck_here"
}

@test "LIBGUARD_LOG=path: the stack goes to the file, not stderr" {
    each check_file
}

check_none() {
    py LIBGUARD_LOG=none -- sleep
    [ "$status" -eq 3 ] || { echo "status $status"; echo "$output"; return 1; }
    has "EXC ExecutionTimeout" || return 1
    if grep -q 'libguard\|stuck_here\|Current thread' <<<"$output"; then
        echo "something logged: $output"; return 1
    fi
}

@test "LIBGUARD_LOG=none: no stack anywhere" {
    each check_none
}

@test "native program sleeping: the system call at step 1 only, and how to get a stack, once" {
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.5 \
        -- "$TESTS_BIN/ladder" --sleep --max 2000
    [ "$status" -eq 0 ]
    grep -qE 'main thread is sleeping \(S\), in system call (clock_)?nanosleep' <<<"$output" ||
        { echo "$output"; false; }
    [ "$(grep -c 'main thread is ' <<<"$output")" -eq 1 ]
    [ "$(grep -c 'no stack for native code' <<<"$output")" -eq 1 ]
    has "gdb -p "
    ! grep -q 'Python stack' <<<"$output"
}

@test "native program computing: running, outside any system call" {
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.5 -- "$TESTS_BIN/ladder" --max 1200
    [ "$status" -eq 0 ]
    has "main thread is running (R), outside any system call"
}

@test "native program, LIBGUARD_LOG=path: the native lines go to the file" {
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.5 LIBGUARD_LOG="$LOGFILE" \
        -- "$TESTS_BIN/ladder" --sleep --max 1200
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    ! grep -q 'libguard\[' <<<"$output"
    output=$(cat "$LOGFILE")
    echo "$output" # shown if a check below fails
    has "main thread is sleeping (S)"
    has "no stack for native code"
}

check_again() {
    py LIBGUARD_INTERRUPT=exception LIBGUARD_GRACE_PERIOD=0.5 LIBGUARD_PROGRESS=output -- again
    [ "$status" -eq 3 ] || { echo "status $status"; echo "$output"; return 1; }
    has "EXC ExecutionTimeout ExecutionTimeout ExecutionTimeout" &&
    has "step 3 of 3" &&
    [ "$(grep -c 'Python stacks, most recent call first' <<<"$output")" -eq 1 ] ||
        { echo "stacks: $output"; return 1; }
}

# LIBGUARD_PROGRESS=output: Python writes the dump with write(2), into a
# memory file; counted as libguard's own output, it is not progress.
@test "one stack per ladder, not per step; the dump is not progress for LIBGUARD_PROGRESS=output" {
    each check_again
}
