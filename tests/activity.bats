#!/usr/bin/env bats
# LIBGUARD_PROGRESS: what else counts as progress, for programs that cannot
# call guard_progress().
load helpers

setup() { setup_guard_env; }

# A native program that writes a line every 0.2 s for 2 s (bash builtins
# only: it starts in milliseconds, so the 1 s budget is its own, not an
# interpreter's start-up); reading a FIFO it holds open both ends of waits
# the full 0.2 s.
writer() {
    mkfifo "$BATS_TEST_TMPDIR/never"
    WRITER=(bash -c 'for i in 0 1 2 3 4 5 6 7 8 9; do echo "$i"; read -r -t 0.2 <>"$1"; done; echo finished' \
        writer "$BATS_TEST_TMPDIR/never")
}

@test "output counts as progress under LIBGUARD_PROGRESS=output" {
    writer
    run guarded LIBGUARD_TIMEOUT=1 LIBGUARD_INTERRUPT=signal LIBGUARD_PROGRESS=output -- "${WRITER[@]}"
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *finished* ]]
    [[ "$output" != *"no progress"* ]]
}

@test "the same program without LIBGUARD_PROGRESS is interrupted" {
    writer
    run guarded LIBGUARD_TIMEOUT=1 LIBGUARD_INTERRUPT=signal -- "${WRITER[@]}"
    [ "$status" -eq 130 ] || { echo "status $status: $output"; false; }
    [[ "$output" != *finished* ]]
}

@test "a program that stops writing is interrupted at most a quarter of the timeout late" {
    run guarded LIBGUARD_TIMEOUT=0.8 LIBGUARD_INTERRUPT=signal LIBGUARD_PROGRESS=output -- "$TESTS_BIN/ladder" --max 2500
    # ladder writes nothing until its first signal: SIGINT at 0.8 s to 1.0 s.
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 780 1300 SIGINT
}

@test "libguard's own log lines are not the program's output" {
    # With send_kill off the ladder ends with two SIGTERMs 0.3 s apart; were
    # the log lines counted, each step would restart the ladder at step 1.
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal LIBGUARD_PROGRESS=output \
        -- "$TESTS_BIN/ladder" --ignore --max 2000
    [ "$status" -eq 0 ]
    [[ "$output" == *"SIGTERM to main thread, step 3 of 3"* ]]
}

@test "io: libguard's own reads and log lines are not the program's" {
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal LIBGUARD_PROGRESS=io \
        -- "$TESTS_BIN/ladder" --ignore --max 2000
    [ "$status" -eq 0 ]
    [[ "$output" == *"SIGTERM to main thread, step 3 of 3"* ]]
    [[ "$output" != *"starts over"* ]]
}

@test "io: reading counts as progress" {
    run guarded LIBGUARD_TIMEOUT=1 LIBGUARD_INTERRUPT=signal LIBGUARD_PROGRESS=io -- python3 -c '
import os, time
fd = os.open("/dev/zero", os.O_RDONLY)
for i in range(10):
    os.read(fd, 100)
    time.sleep(0.2)
print("finished")
'
    [ "$status" -eq 0 ]
    [[ "$output" == *finished* ]]
}

@test "file:PATH: touching the file counts as progress; stopping does not" {
    f="$BATS_TEST_TMPDIR/heartbeat"
    : > "$f"
    mkfifo "$BATS_TEST_TMPDIR/never"
    # bash builtins, as writer above: the 1 s budget is the program's own.
    run guarded LIBGUARD_TIMEOUT=1 LIBGUARD_INTERRUPT=signal "LIBGUARD_PROGRESS=file:$f" -- bash -c '
for i in 0 1 2 3 4 5 6 7 8 9; do printf x >>"$1"; read -r -t 0.2 <>"$2"; done
echo finished
read -r -t 3 <>"$2"
echo never
' heartbeat "$f" "$BATS_TEST_TMPDIR/never"
    [ "$status" -eq 130 ]
    [[ "$output" == *finished* ]]
    [[ "$output" != *never* ]]
}

@test "LIBGUARD_PROGRESS needs a time guard and a known source" {
    run guarded LIBGUARD_PROGRESS=output -- "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ]
    [[ "$output" == *"LIBGUARD_PROGRESS has no effect without LIBGUARD_TIMEOUT"* ]]
    run guarded LIBGUARD_TIMEOUT=1 LIBGUARD_PROGRESS=input -- "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ]
    [[ "$output" == *"LIBGUARD_PROGRESS='input' is not valid (valid: io, output, file:PATH)"* ]]
}
