#!/usr/bin/env bats
# The C test programs under valgrind (memcheck): no invalid access, no use of
# uninitialised memory, no definite leak, in the shim and the C API.
load helpers

setup() {
    setup_guard_env
    command -v valgrind >/dev/null || skip "valgrind is not installed"
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer build cannot run under valgrind"
}

# --fair-sched=yes: valgrind runs one thread at a time and, by default, lets a
# busy thread take its lock back before a woken watchdog gets it.
memcheck() {
    valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
        --trace-children=no "$@"
}

# Under valgrind every thread's kernel mask blocks every signal (valgrind
# delivers them itself), so each step is sent to the process after a second
# look 10 ms later, and the steps drift by up to a second each: 10 s for 3.
@test "valgrind: the shim's ladder" {
    run env LD_PRELOAD="$GUARD_SO" LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.5 LIBGUARD_INTERRUPT=signal \
        LIBGUARD_REPORT="$BATS_TEST_TMPDIR/r.jsonl" LIBGUARD_MAX_MEMORY=1G \
        valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite "$TESTS_BIN/ladder" --max 10000
    [ "$status" -eq 0 ]
    [[ "$output" == *"SIGTERM to main thread, step 3 of 3"* ]]
    [[ "$output" != *"=="* ]]
}

@test "valgrind: bad settings" {
    run env LD_PRELOAD="$GUARD_SO" LIBGUARD_TIMEOUT=abc LIBGUARD_TIMOUT=1 LIBGUARD_CHILDREN=none \
        valgrind -q --error-exitcode=99 "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ]
    [[ "$output" != *"=="* ]]
}

@test "valgrind: the C API under 8 threads" {
    run memcheck "$TESTS_BIN/stress-threads" 8 1500
    [ "$status" -eq 0 ]
    [[ "$output" == *"failures 0"* ]]
    [[ "$output" != *"=="* ]]
}

@test "valgrind: memory guards of the C API" {
    run memcheck "$TESTS_BIN/capi-memory" absolute
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"handler absolute memory step 1"* ]]
    [[ "$output" != *"=="* ]]
}
