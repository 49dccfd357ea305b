#!/usr/bin/env bats
# The time ladder of doc/design.md, step by step, for each interrupt type and
# send_kill, in programs with no exception to raise (the signal ladder).
# Bounds are generous: a step after its time and well before the next.
load helpers

setup() { setup_guard_env; }

@test "signal ladder with send_kill: SIGINT at T, SIGTERM at T+g, SIGKILL at T+2g" {
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.5 LIBGUARD_INTERRUPT=signal LIBGUARD_SEND_KILL=1 \
        -- "$TESTS_BIN/ladder" --max 5000
    [ "$status" -eq 137 ]
    between "$(recorded_ms SIGINT)" 480 950 SIGINT
    between "$(recorded_ms SIGTERM)" 980 1450 SIGTERM
    [ -z "$(recorded_ms SIGTERM 2)" ]
    [[ "$output" != *done* ]]
    [[ "$output" == *"SIGKILL to main thread, step 3 of 3"* ]]
}

@test "signal ladder without send_kill: SIGINT, SIGTERM, SIGTERM, then nothing more" {
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.5 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/ladder" --max 3000
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 480 950 SIGINT
    between "$(recorded_ms SIGTERM 1)" 980 1450 "first SIGTERM"
    between "$(recorded_ms SIGTERM 2)" 1480 1950 "second SIGTERM"
    [ -z "$(recorded_ms SIGTERM 3)" ]
    [ -z "$(recorded_ms SIGINT 2)" ]
    [[ "$output" == *"done"* ]]
}

@test "without an exception route, exception_then_signal is the signal ladder, said once" {
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_GRACE_PERIOD=0.4 -- "$TESTS_BIN/ladder" --max 2000
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 380 780 SIGINT
    between "$(recorded_ms SIGTERM 1)" 780 1180 "first SIGTERM"
    between "$(recorded_ms SIGTERM 2)" 1180 1580 "second SIGTERM"
    [ "$(printf '%s\n' "$output" | grep -c 'no exception can be raised in this program')" -eq 1 ]
}

@test "the exception ladder falls back to signals too, and send_kill ends it" {
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_GRACE_PERIOD=0.4 LIBGUARD_INTERRUPT=exception_then_signal LIBGUARD_SEND_KILL=yes \
        -- "$TESTS_BIN/ladder" --max 5000
    [ "$status" -eq 137 ]
    between "$(recorded_ms SIGINT)" 380 780 SIGINT
    between "$(recorded_ms SIGTERM)" 780 1180 SIGTERM
}

@test "LIBGUARD_INTERRUPT=exception in a program without a route still interrupts" {
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_GRACE_PERIOD=0.4 LIBGUARD_INTERRUPT=exception \
        -- "$TESTS_BIN/ladder" --max 2000
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 380 780 SIGINT
    [[ "$output" == *"no exception can be raised"* ]]
}

@test "a default SIGINT ends the program at the deadline, status 130" {
    run guarded LIBGUARD_TIMEOUT=0.5 -- "$TESTS_BIN/ladder" --default --max 5000
    [ "$status" -eq 130 ]
    printf '%s\n' "$output" | grep -Eq 'no progress for [5-9][0-9]{2}ms \(limit 500ms\): SIGINT to main thread, step 1 of 3$'
}

@test "a program ignoring SIGINT and SIGTERM is ended by SIGKILL" {
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_SEND_KILL=1 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/ladder" --ignore --max 5000
    [ "$status" -eq 137 ]
    [[ "$output" == *"SIGKILL to main thread, step 3 of 3"* ]]
}

@test "a program ignoring SIGINT and SIGTERM runs to its end without send_kill" {
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/ladder" --ignore --max 1500
    [ "$status" -eq 0 ]
    [[ "$output" == *"step 3 of 3"* ]]
    [[ "$output" == *"done"* ]]
}

@test "a sleeping program is interrupted as a spinning one" {
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.5 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/ladder" --sleep --max 1800
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 480 950 SIGINT
    between "$(recorded_ms SIGTERM)" 980 1450 SIGTERM
}

@test "each step is one log line naming the pid, the limit, the idle time, the signal and the step" {
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/ladder" --max 1200
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" | grep -Eq '^libguard\[[0-9]+\]: no progress for 3[0-9]{2}ms \(limit 300ms\): SIGINT to main thread, step 1 of 3$'
    printf '%s\n' "$output" | grep -Eq '^libguard\[[0-9]+\]: no progress for 6[0-9]{2}ms \(limit 300ms\): SIGTERM to main thread, step 2 of 3$'
}

@test "LIBGUARD_LOG=none is silent, and a file gets the lines" {
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_INTERRUPT=signal LIBGUARD_LOG=none -- "$TESTS_BIN/ladder" --max 600
    [ "$status" -eq 0 ]
    [[ "$output" != *libguard* ]]
    [[ "$output" == *"SIGINT"* ]]
    log="$BATS_TEST_TMPDIR/guard.log"
    cd "$BATS_TEST_TMPDIR"
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_INTERRUPT=signal LIBGUARD_LOG=./guard.log -- "$TESTS_BIN/ladder" --max 600
    [ "$status" -eq 0 ]
    [[ "$output" != *libguard* ]]
    grep -q 'SIGINT to main thread, step 1 of 3' "$log"
}

@test "LIBGUARD_DRY_RUN logs each step and interrupts nothing" {
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal LIBGUARD_SEND_KILL=1 LIBGUARD_DRY_RUN=1 \
        -- "$TESTS_BIN/ladder" --max 1500
    [ "$status" -eq 0 ]
    [ -z "$(recorded_ms SIGINT)" ]
    [[ "$output" == *"SIGKILL to main thread, step 3 of 3 (dry run: nothing sent)"* ]]
    [[ "$output" == *"done"* ]]
}
