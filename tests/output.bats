#!/usr/bin/env bats
# What libguard writes (its log, its report, the Python stacks) never stops a
# step from firing or a program from ending, never lands in the program's
# data, and a destination that cannot be written is refused at start.
# Every run is bounded by timeout(1), SIGKILL 5 s after SIGTERM (a process
# whose only thread left blocks every signal ignores SIGTERM): a hang fails.

load helpers
load pythons

BATS_TEST_TIMEOUT=${BATS_PYTHON_TEST_TIMEOUT:-300}

setup_file() {
    find_pythons
    echo "# CPython 3.8-3.13 tested: ${PYTHONS:-none}" >&3
}

setup() {
    setup_guard_env
    FIFO="$BATS_TEST_TMPDIR/fifo"
}

# ---- FIFOs and pipes: nothing waits for a reader ------------------------

@test "LIBGUARD_LOG names a FIFO nobody reads: the program starts, the guard fires, the loss is said once" {
    mkfifo "$FIFO"
    run timeout -k 5 20 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=0.3 "LIBGUARD_LOG=$FIFO" \
        "$TESTS_BIN/ladder" --default --sleep --max 15000
    [ "$status" -eq 130 ]
    [ "$(grep -c "cannot write to LIBGUARD_LOG='$FIFO' (a FIFO with no reader)" <<<"$output")" -eq 1 ]
}

@test "LIBGUARD_REPORT names a FIFO nobody reads: the program ends, the loss is said" {
    mkfifo "$FIFO"
    run timeout -k 5 20 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=30 "LIBGUARD_REPORT=$FIFO" \
        "$TESTS_BIN/print-env"
    [ "$status" -eq 0 ]
    [[ "$output" == *"libguard loaded"* ]]
    [[ "$output" == *"cannot write to LIBGUARD_REPORT='$FIFO' (a FIFO with no reader)"* ]]
}

@test "LIBGUARD_LOG names a FIFO whose reader left: the next step still fires" {
    mkfifo "$FIFO"
    exec {reader}<>"$FIFO" # a reader, before the program opens its end
    timeout -k 5 20 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=1 "LIBGUARD_LOG=$FIFO" \
        "$TESTS_BIN/ladder" --default --sleep --max 15000 2>"$BATS_TEST_TMPDIR/err" {reader}<&- &
    pid=$!
    read -r -t 10 first <&"$reader" # the line the program writes at start
    exec {reader}<&-                # the reader leaves
    [[ "$first" == *"time guard: 1s without progress"* ]]
    kill -0 "$pid" # still running: the step is yet to come
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 130 ]
}

# deep_stacks.py under the shim, its stderr a pipe that nobody reads until
# it has ended: the first step's Python stacks (21 threads, 300 calls deep)
# are far more than the pipe holds.
stderr_never_read() {
    err="$BATS_TEST_TMPDIR/err"
    run timeout -k 5 60 "$PY" - "$err" env LD_PRELOAD="$GUARD_PRELOAD" \
        LIBGUARD_TIMEOUT=1 "$PY" "$TESTS_SRC/python/deep_stacks.py" <<'PY'
import subprocess, sys
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
try:
    print("status", p.wait(timeout=30))
except subprocess.TimeoutExpired:
    p.kill()
    print("hung")
sys.stdout.write(p.stdout.read().decode())
with open(sys.argv[1], "wb") as err:
    err.write(p.stderr.read())
PY
    says '^status 0$' && says '^caught ExecutionTimeout$' || return 1
    # The dump began, and the pipe was full before its end: faulthandler
    # gives 21 threads 100 frames each, and fewer reached the pipe.
    local frames
    frames=$(grep -c '^libguard\[[0-9]*\]:   File ' "$err")
    grep -q 'Python stacks, most recent call first' "$err" && [ "$frames" -lt 2100 ] \
        || { echo "$PY: the pipe did not fill up ($frames frames); stderr began:"; head -c 2000 "$err"; return 1; }
}

@test "stderr is a pipe nobody reads and the stacks overflow it: the exception still comes, the program ends" {
    each stderr_never_read
}

# The same with LIBGUARD_LOG naming a FIFO whose reader holds it open and
# never reads.
fifo_never_read() {
    rm -f "$FIFO"
    mkfifo "$FIFO"
    exec {reader}<>"$FIFO"
    status=0
    output=$(timeout -k 5 30 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=1 "LIBGUARD_LOG=$FIFO" \
        "$PY" "$TESTS_SRC/python/deep_stacks.py" 2>"$BATS_TEST_TMPDIR/err" {reader}<&-) || status=$?
    exec {reader}<&-
    status_is 0 && says '^caught ExecutionTimeout$' || return 1
    output=$(cat "$BATS_TEST_TMPDIR/err")
    says "cannot write to LIBGUARD_LOG='$FIFO' \(its reader does not keep up\)"
}

@test "LIBGUARD_LOG names a FIFO whose reader never reads: the exception still comes, the loss is said" {
    each fifo_never_read
}

# ---- stderr closed at start ------------------------------------------------

@test "stderr closed at start and fd 2 reused for data: no libguard line in the data, the step still fires" {
    data="$BATS_TEST_TMPDIR/data"
    run timeout -k 5 20 sh -c 'exec env LD_PRELOAD="$1" LIBGUARD_TIMEOUT=0.3 "$2" "$3" 15000 2>&-' \
        sh "$GUARD_PRELOAD" "$TESTS_BIN/data-file" "$data"
    [ "$status" -eq 130 ]
    [ "${lines[0]}" = "data fd 2" ] # the case: its data file took fd 2
    [ -s "$data" ]
    run grep -v '^record [0-9]*$' "$data"
    [ "$status" -eq 1 ] || { echo "not the program's data in $data:"; echo "$output"; false; }
}

# An anonymous pipe reopened through /proc/self/fd takes the open even with
# no reader left (only a named FIFO answers ENXIO): the write then raises
# SIGPIPE, which ended a C program that keeps its default action.
@test "stderr a pipe whose reader has gone: libguard's line is dropped, no SIGPIPE ends the program" {
    run timeout -k 5 20 perl -e 'pipe(R, W) or die; close R; open(STDERR, ">&", \*W) or die; exec @ARGV' \
        env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_VERBOSE=1 LIBGUARD_TIMEOUT=10 "$TESTS_BIN/print-env"
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"libguard loaded"* ]]
}

# ---- paths that cannot be written: refused at start ------------------------

# refused VAR PATH REASON: the program does not start; one line names VAR, the
# path and the reason.
refused() {
    run timeout -k 5 20 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=30 "$1=$2" "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ] || { echo "$1=$2: status $status: $output"; return 1; }
    [[ "$output" != *"libguard loaded"* ]] || { echo "$1=$2: the program ran"; return 1; }
    [ "$(grep -c "^libguard: $1=" <<<"$output")" -eq 1 ] || { echo "$output"; return 1; }
    [[ "$output" == *"libguard: $1='$2' cannot be written: $3"* ]] || { echo "$output"; return 1; }
}

@test "LIBGUARD_LOG and LIBGUARD_REPORT: a directory, a missing directory, /dev/full, /proc/version are refused at start" {
    mkdir "$BATS_TEST_TMPDIR/dir"
    for var in LIBGUARD_LOG LIBGUARD_REPORT; do
        refused "$var" "$BATS_TEST_TMPDIR/dir" "it is a directory"
        refused "$var" "$BATS_TEST_TMPDIR/missing/guard.log" "directory $BATS_TEST_TMPDIR/missing does not exist"
        refused "$var" /dev/full "No space left on device"
        # a file that refuses every write, even root's
        refused "$var" /proc/version "Input/output error"
    done
}

@test "LIBGUARD_LOG: /dev/tty with no controlling terminal, and a socket, are refused with their causes" {
    run timeout -k 5 20 setsid -w env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=30 \
        LIBGUARD_LOG=/dev/tty "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"LIBGUARD_LOG='/dev/tty' cannot be written: the process has no controlling terminal"* ]] \
        || { echo "$output"; false; }
    sock="$BATS_TEST_TMPDIR/log.sock" # the socket file outlives the bind
    python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
    refused LIBGUARD_LOG "$sock" "a socket, which cannot be opened"
}

@test "LIBGUARD_LOG and LIBGUARD_REPORT: a file the user cannot write is refused at start" {
    file="$BATS_TEST_TMPDIR/read-only.log"
    touch "$file"
    if [ "$(id -u)" -eq 0 ]; then
        # root writes any file its mode forbids: make it immutable instead
        chattr +i "$file" 2>/dev/null || skip "chattr +i is not supported in $BATS_TEST_TMPDIR"
        reason="Operation not permitted"
    else
        chmod 0444 "$file"
        reason="Permission denied"
    fi
    ok=0
    refused LIBGUARD_LOG "$file" "$reason" && refused LIBGUARD_REPORT "$file" "$reason" || ok=$?
    [ "$(id -u)" -ne 0 ] || chattr -i "$file"
    [ "$ok" -eq 0 ]
}

@test "LIBGUARD_ON_ERROR=warn: an unwritable log path is said, and the program runs unguarded" {
    run timeout -k 5 20 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=0.3 LIBGUARD_ON_ERROR=warn \
        "LIBGUARD_LOG=$BATS_TEST_TMPDIR/missing/guard.log" "$TESTS_BIN/ladder" --max 800
    [ "$status" -eq 0 ]
    [[ "$output" == *"LIBGUARD_LOG='$BATS_TEST_TMPDIR/missing/guard.log' cannot be written"* ]]
    [[ "$output" == *"running the program unguarded"* ]]
    [[ "$output" != *SIGINT* ]]
}

@test "a log file that can no longer be written: said once on stderr, and the steps still fire" {
    dir="$BATS_TEST_TMPDIR/logs"
    mkdir "$dir"
    timeout -k 5 20 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.3 \
        LIBGUARD_INTERRUPT=signal "LIBGUARD_LOG=$dir/guard.log" \
        "$TESTS_BIN/ladder" --max 2000 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
    pid=$!
    # the log exists once the program has started (its settings line)
    for _ in $(seq 200); do [ -s "$dir/guard.log" ] && break; sleep 0.05; done
    [ -s "$dir/guard.log" ]
    rm -r "$dir"
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 0 ]
    run cat "$BATS_TEST_TMPDIR/out"
    [[ "$output" == *SIGTERM* ]] # steps 2 and 3, after the log was gone
    run cat "$BATS_TEST_TMPDIR/err"
    [ "$(grep -c "cannot write to LIBGUARD_LOG='$dir/guard.log' (No such file or directory)" <<<"$output")" -eq 1 ] \
        || { echo "$output"; false; }
}
