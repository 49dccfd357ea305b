#!/usr/bin/env bats
# The C API of guard.h: scoped guards, nesting, per-thread targets, progress
# on one guard, the handler of the exception step, memory guards, bad
# arguments.  The programs record what happened with timestamps (record.h,
# capi.h); bounds are generous for a loaded 2-core machine.
load helpers

setup() {
    setup_guard_env
}

# The number of lines of $output starting with WORDS.
count() {
    printf '%s\n' "$output" | grep -c "^$1" || true
}

# The milliseconds of the first "handler LABEL KIND step N MS TARGET" line.
handler_ms() {
    printf '%s\n' "$output" | awk -v l="$1" -v s="$2" \
        '$1 == "handler" && $2 == l && $5 == s { print $6; exit }'
}

@test "nested time guards: guard_progress() resets the innermost only; the outer fires on its own clock" {
    run "$TESTS_BIN/capi-nest" innermost
    [ "$status" -eq 0 ]
    between "$(handler_ms outer 1)" 700 1150 "outer, first"
    between "$(handler_ms inner 1)" 1400 1950 "inner"
    # progress after the inner ended reached the outer: it started over
    between "$(printf '%s\n' "$output" | awk '$2 == "outer" { print $6 }' | sed -n 2p)" 3300 3900 "outer, again"
    [ "$(count 'handler inner')" -eq 1 ]
    [ "$(count 'handler outer')" -eq 2 ]
    [ "$(count done)" -eq 1 ]
}

@test "guard_progress_on() reports progress for that guard only" {
    run "$TESTS_BIN/capi-nest" on
    [ "$status" -eq 0 ]
    between "$(handler_ms inner 1)" 250 700 "inner"
    between "$(handler_ms outer 1)" 1900 2450 "outer"
    [ "$(count 'handler')" -eq 2 ]
}

@test "guards target the thread that began them (tgkill to that thread)" {
    run "$TESTS_BIN/capi-threads"
    [ "$status" -eq 0 ]
    # record.h: "SIGINT MS main|thread", the thread that ran the handler
    between "$(printf '%s\n' "$output" | awk '$1 == "SIGINT" && $3 == "thread" { print $2 }')" 250 700 "worker's SIGINT"
    between "$(printf '%s\n' "$output" | awk '$1 == "SIGINT" && $3 == "main" { print $2 }')" 2000 2550 "main's SIGINT"
    [ "$(count SIGINT)" -eq 2 ]
    [ "$(count SIGTERM)" -eq 0 ]
    [ "$(count done)" -eq 1 ]
}

@test "a registered handler is the exception step; the ladder goes on with signals" {
    run "$TESTS_BIN/capi-handler" ladder
    [ "$status" -eq 0 ]
    between "$(handler_ms task 1)" 250 700 "handler"
    [ "$(count 'handler task time step 1')" -eq 1 ]
    printf '%s\n' "$output" | grep -q '^handler task time step 1 [0-9]* main$'
    between "$(recorded_ms SIGINT)" 550 1100 "SIGINT"
    between "$(recorded_ms SIGTERM)" 850 1450 "SIGTERM"
    [ "$(count handler)" -eq 1 ]
    [[ "$output" == *"SIGINT "*" main"* ]]
}

@test "without a handler the exception step is a signal" {
    run "$TESTS_BIN/capi-handler" none
    [ "$status" -eq 0 ]
    [ "$(count handler)" -eq 0 ]
    between "$(recorded_ms SIGINT)" 250 700 "SIGINT"
    [[ "$output" == *"no exception can be raised"* ]]
}

@test "the shim's process guard calls the registered handler too" {
    run env LIBGUARD_TIMEOUT=300ms LIBGUARD_GRACE_PERIOD=300ms "$TESTS_BIN/capi-handler" process
    [ "$status" -eq 0 ]
    between "$(handler_ms process 1)" 250 700 "handler"
    between "$(recorded_ms SIGINT)" 550 1100 "SIGINT"
    [[ "$output" == *"the interrupt handler to main thread, step 1 of 3"* ]]
}

@test "the handler's signal interrupts a blocking read; the task ends the guard, no signal step follows" {
    run "$TESTS_BIN/capi-handler" interrupt
    [ "$status" -eq 0 ]
    between "$(handler_ms read 1)" 250 700 "handler"
    between "$(recorded_ms read-interrupted)" 250 800 "read returned EINTR"
    [ "$(count SIGINT)" -eq 0 ]
    [ "$(count SIGTERM)" -eq 0 ]
    [ "$(count done)" -eq 1 ]
}

@test "absolute memory guard: fires once resident memory passes the limit, not before" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer's allocator and shadow memory change the resident size"
    run "$TESTS_BIN/capi-memory" absolute
    [ "$status" -eq 0 ]
    [ "$(count 'handler absolute memory step 1')" -eq 1 ]
    [ "$(count handler)" -eq 1 ]
    grown=$(recorded_ms growing-2)
    fired=$(handler_ms absolute 1)
    between "$fired" "$grown" $((grown + 3000)) "handler during or after the second growth"
}

@test "relative memory guard: counts from the resident size at entry" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer's allocator and shadow memory change the resident size"
    run "$TESTS_BIN/capi-memory" relative
    [ "$status" -eq 0 ]
    [ "$(count 'handler relative memory step 1')" -eq 1 ]
    [ "$(count handler)" -eq 1 ]
    grown=$(recorded_ms growing-2)
    fired=$(handler_ms relative 1)
    between "$fired" "$grown" $((grown + 3000)) "handler during or after the second growth"
}

@test "bad arguments are errors (EINVAL), not crashes" {
    run "$TESTS_BIN/capi-args"
    [ "$status" -eq 0 ]
    [ "$(count FAIL)" -eq 0 ] || { echo "$output"; false; }
    [ "$(count ok)" -ge 25 ]
    [[ "$output" == *"checks $(count ok)"* ]]
    # the guard of a thread that ended without guard_end ended with it
    [[ "$output" == *"ended with 1 guard armed: ended it too"* ]]
}

@test "32 threads entering, nesting, leaving guards and reporting progress: no failure, no step" {
    # Under the TSan build (.ci/run) this is the watchdog against the owners.
    run guarded LIBGUARD_TIMEOUT=30 -- "$TESTS_BIN/stress-threads" 32 2000
    [ "$status" -eq 0 ]
    [[ "$output" == *"failures 0"* ]]
    [[ "$output" != *"libguard["* ]]
}
