#!/usr/bin/env bats
# LIBGUARD_PROGRESS: what else counts as progress, for programs that cannot
# call guard_progress().
load helpers

setup() { setup_guard_env; }

@test "output counts as progress under LIBGUARD_PROGRESS=output" {
    run guarded LIBGUARD_TIMEOUT=1 LIBGUARD_INTERRUPT=signal LIBGUARD_PROGRESS=output -- python3 -c '
import sys, time
for i in range(10):
    print(i, flush=True)
    time.sleep(0.2)
print("finished")
'
    [ "$status" -eq 0 ]
    [[ "$output" == *finished* ]]
    [[ "$output" != *"no progress"* ]]
}

@test "the same program without LIBGUARD_PROGRESS is interrupted" {
    run guarded LIBGUARD_TIMEOUT=1 LIBGUARD_INTERRUPT=signal -- python3 -c '
import sys, time
for i in range(10):
    print(i, flush=True)
    time.sleep(0.2)
print("finished")
'
    [ "$status" -eq 130 ]
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
    run guarded LIBGUARD_TIMEOUT=1 LIBGUARD_INTERRUPT=signal "LIBGUARD_PROGRESS=file:$f" -- python3 -c '
import os, sys, time
for i in range(10):
    with open(sys.argv[1], "a") as f:
        f.write("x")
    time.sleep(0.2)
print("finished", flush=True)
time.sleep(3)
print("never")
' "$f"
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
