#!/usr/bin/env bats
# Threads, fork and exec under the shim.
load helpers

setup() { setup_guard_env; }

@test "the signal goes to the main thread while it waits in pthread_join" {
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_GRACE_PERIOD=5 -- "$TESTS_BIN/threads" --handler 1200
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 380 800 SIGINT
    printf '%s\n' "$output" | grep -q '^SIGINT [0-9]* main$'
    [[ "$output" == *"done"* ]]
}

@test "without a handler the main thread's SIGINT ends a multi-threaded program" {
    run guarded LIBGUARD_TIMEOUT=0.4 -- "$TESTS_BIN/threads" 5000
    [ "$status" -eq 130 ]
}

@test "a forked child gets its own clock; the parent waiting for it gets no step" {
    # The parent reports progress for 0.6 s, then forks and waits.  The child
    # spins: its SIGINT comes 0.5 s after the fork, not 0.5 s after the
    # parent's start.  The parent, blocked in waitpid for a guarded child,
    # is not stuck (trees.bats; with an unguarded child its guard fires:
    # see LIBGUARD_CHILDREN=none below).
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=5 -- "$TESTS_BIN/forker" 600 1500
    [ "$status" -eq 0 ]
    child=$(printf '%s\n' "$output" | awk '$1 == "child" && $2 == "SIGINT" { print $3 }')
    between "$child" 480 950 "child SIGINT (ms after fork)"
    [[ "$output" != *"parent SIGINT"* ]]
    [[ "$output" == *"waits (wait4) for child"* ]]
    [[ "$output" == *"child exited 0"* ]]
}

@test "a child forked by another thread keeps the process guard" {
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=5 -- "$TESTS_BIN/forker" --from-thread 300 1500
    [ "$status" -eq 0 ]
    child=$(printf '%s\n' "$output" | awk '$1 == "child" && $2 == "SIGINT" { print $3 }')
    between "$child" 480 950 "child SIGINT (ms after fork)"
}

@test "an exec'd program inherits the guard through the environment" {
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=5 -- "$TESTS_BIN/print-env" --exec "$TESTS_BIN/ladder" --max 1200
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 480 950 SIGINT
}

@test "LIBGUARD_CHILDREN=none: exec'd children run without libguard, other preloads stay" {
    other=$(ldconfig -p | awk '/libm\.so\.6 .*x86-64/ { print $NF; exit }')
    [ -n "$other" ]
    run env LD_PRELOAD="$GUARD_PRELOAD:$other" LIBGUARD_TIMEOUT=30 LIBGUARD_CHILDREN=none \
        "$TESTS_BIN/print-env" --exec "$TESTS_BIN/print-env"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "libguard loaded" ]
    [ "${lines[2]}" = "libguard not loaded" ]
    [ "${lines[3]}" = "LD_PRELOAD=${GUARD_PRELOAD%"$GUARD_SO"}$other" ]
}

@test "LIBGUARD_CHILDREN=none: exec'd children get no LIBGUARD_* setting (a program linked with libguard stays unguarded)" {
    run env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=30 LIBGUARD_MAX_MEMORY=1G LIBGUARD_CHILDREN=none \
        LIBGUARD_PYTHON_SIGNAL=SIGUSR2 "$TESTS_BIN/print-env" --exec /usr/bin/env
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | grep '^LIBGUARD_')" = "LIBGUARD_PYTHON_SIGNAL=SIGUSR2" ]
}

@test "LIBGUARD_CHILDREN=none: forked children run unguarded (and write no report); the parent keeps its guard" {
    # The child spins 1.2 s, far past the 0.5 s budget: no signal reaches it.
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=5 LIBGUARD_CHILDREN=none \
        "LIBGUARD_REPORT=$BATS_TEST_TMPDIR/r.jsonl" -- "$TESTS_BIN/forker" 300 1200
    [ "$status" -eq 0 ]
    [ "$(wc -l < "$BATS_TEST_TMPDIR/r.jsonl")" -eq 1 ]  # the parent's: the child is not guarded
    [[ "$output" == *"child done"* ]]
    [[ "$output" != *"child SIGINT"* ]]
    [[ "$output" == *"child exited 0"* ]]
    parent=$(printf '%s\n' "$output" | awk '$1 == "parent" && $2 == "SIGINT" { print $3 }')
    between "$parent" 780 1250 "parent SIGINT (ms after start)"
}

@test "LIBGUARD_CHILDREN=none: the program itself stays guarded" {
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_CHILDREN=none -- "$TESTS_BIN/ladder" --max 900
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 380 850 SIGINT
}

@test "no step fires once the program has begun to exit" {
    # atexit handlers that outlast the deadline see no signal.
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_INTERRUPT=signal -- "$TESTS_BIN/slow-exit" 100 800
    [ "$status" -eq 0 ]
    [[ "$output" == *"exit handler done"* ]]
    [[ "$output" != *SIGINT* ]]
}

@test "the program's signal dispositions and mask are unchanged" {
    run guarded LIBGUARD_TIMEOUT=30 -- "$TESTS_BIN/slow-exit" --dispositions
    plain=$("$TESTS_BIN/slow-exit" --dispositions)
    [ "$status" -eq 0 ]
    [ "$output" = "$plain" ]
}

# main-exits: the main thread ends with pthread_exit(0), a worker sleeps on
# and prints "worker done" (left in stdio's buffer: only exit() flushes it).
# Bounded by timeout(1), with SIGKILL (-k): a process that outlives its
# threads blocks SIGTERM, and fails with 137.

@test "main thread ends with pthread_exit: the process ends with its last thread, as without libguard" {
    run timeout -k 5 20 "$TESTS_BIN/main-exits" 500
    [ "$status" -eq 0 ]
    [ "$output" = "worker done" ]
    run timeout -k 5 20 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=30 LIBGUARD_MAX_MEMORY=1G \
        "$TESTS_BIN/main-exits" 500
    [ "$status" -eq 0 ]
    [ "$output" = "worker done" ]
}

@test "main thread ended: the time guard's steps go to the process, and say so" {
    run timeout -k 5 20 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=0.5 "$TESTS_BIN/main-exits" 15000
    [ "$status" -eq 130 ]  # the worker took the SIGINT and its default action
    [[ "$output" == *"no progress for "*": SIGINT to the process (its main thread has ended), step 1 of 3"* ]]
    [[ "$output" == *"main thread is a zombie (Z)"* ]]
}

@test "main thread ended, the worker ignores SIGINT and SIGTERM: SIGKILL to the process ends it" {
    run timeout -k 5 20 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.3 \
        LIBGUARD_SEND_KILL=1 "$TESTS_BIN/main-exits" --ignore 15000
    [ "$status" -eq 137 ]
    [[ "$output" == *"SIGTERM to the process (its main thread has ended), step 2 of 3"* ]]
    [[ "$output" == *"SIGKILL to the process (its main thread has ended), step 3 of 3"* ]]
}
