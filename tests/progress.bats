#!/usr/bin/env bats
# Progress through guard.h's weak guard_progress(): one binary, with and
# without the shim.
load helpers

setup() { setup_guard_env; }

@test "without the shim the weak guard_progress is absent and the program runs" {
    run "$TESTS_BIN/progress" 10 0 300 400
    [ "$status" -eq 0 ]
    [[ "$output" == *"libguard not loaded"* ]]
    [[ "$output" == *"done"* ]]
}

@test "progress keeps the time guard off; the deadline counts from the last report" {
    # Reports every 50 ms for 1.5 s, three times the timeout: no step until
    # 0.5 s after the last report (at 1.45 s).
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=5 -- "$TESTS_BIN/progress" 50 0 1500 2600
    [ "$status" -eq 0 ]
    [[ "$output" == *"libguard loaded"* ]]
    between "$(recorded_ms SIGINT)" 1950 2450 SIGINT
}

@test "the same program without progress is interrupted at the timeout" {
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=5 -- "$TESTS_BIN/progress" 50 0 0 1200
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 480 950 SIGINT
}

@test "progress after a step starts the ladder over" {
    # No progress at first: SIGINT at ~0.4 s.  Progress from 0.6 s to 1.2 s
    # cancels the SIGTERM due at 1.0 s; the next step is a new step 1 (SIGINT)
    # at ~1.6 s.
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_GRACE_PERIOD=0.6 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/progress" 50 600 1200 1900
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT 1)" 380 590 "first SIGINT"
    between "$(recorded_ms SIGINT 2)" 1550 1900 "second SIGINT"
    [ -z "$(recorded_ms SIGTERM)" ]
    [[ "$output" == *"progress after step 1: the time guard starts over"* ]]
}

@test "progress from another thread reaches the process guard" {
    # The main thread waits in pthread_join for 1.5 s while a worker reports
    # progress: no step.  Without the worker's progress: SIGINT at 0.4 s.
    run guarded LIBGUARD_TIMEOUT=0.4 -- "$TESTS_BIN/threads" --handler --progress 1500
    [ "$status" -eq 0 ]
    [ -z "$(recorded_ms SIGINT)" ]
    [[ "$output" == *done* ]]
    run guarded LIBGUARD_TIMEOUT=0.4 -- "$TESTS_BIN/threads" --handler 1500
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 380 900 SIGINT
}
