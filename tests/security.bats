#!/usr/bin/env bats
# What libguard leaves in the program, and secure-execution mode.
load helpers

setup() { setup_guard_env; }

@test "no descriptor of libguard's reaches the program or what it executes" {
    bare=$("$TESTS_BIN/print-env" --fds)
    run guarded LIBGUARD_TIMEOUT=30 -- "$TESTS_BIN/print-env" --fds
    [ "$output" = "$bare" ]
    # The memory guard keeps /proc/self/statm open, close-on-exec: a program
    # executed after the first sample does not inherit it.
    run guarded LIBGUARD_MAX_MEMORY=1G LIBGUARD_CHECK_INTERVAL=1 LIBGUARD_CHILDREN=none -- \
        sh -c "sleep 0.1; exec '$TESTS_BIN/print-env' --fds"
    [ "$output" = "$bare" ]
}

@test "a main thread that blocks every signal: steps stay pending, SIGKILL still ends it" {
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/ladder" --block --max 1500
    [ "$status" -eq 0 ]
    [[ "$output" == *"step 3 of 3"* ]]
    [[ "$output" == *done* ]]
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal LIBGUARD_SEND_KILL=1 \
        -- "$TESTS_BIN/ladder" --block --max 5000
    [ "$status" -eq 137 ]
}

@test "a program that takes its signals in a sigwait() thread gets the step there, and shuts down in order" {
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=5 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/sigwaiter" --max 4000
    [ "$status" -eq 3 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"main thread blocks SIGINT: sent to the process instead"* ]]
    between "$(recorded_ms SIGINT)" 280 3000 "SIGINT taken by sigwait (ms)"
    [ "$(printf '%s\n' "$output" | awk '$1 == "SIGINT" { print $3 }')" = thread ]
    [[ "$output" != *done* ]]
}

@test "secure execution (setgid): guarded, but no path from the environment is used" {
    [ "$(id -u)" -eq 0 ] || skip "making a setgid program needs root"
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer runtime refuses secure execution"
    getent group nogroup >/dev/null || skip "no group 'nogroup'"
    dir=$(mktemp -d /tmp/libguard-secure.XXXXXX)
    chmod 755 "$dir"
    # stress-threads is linked with libguard (not preloaded: ld.so ignores
    # LD_PRELOAD paths in secure mode), so its constructor runs setgid.
    cp "$TESTS_BIN/stress-threads" "$dir/prog"
    chgrp nogroup "$dir/prog" && chmod 2755 "$dir/prog"
    run env LIBGUARD_TIMEOUT=0.3 LIBGUARD_INTERRUPT=signal LIBGUARD_LOG="$dir/log" \
        LIBGUARD_REPORT="$dir/report" "$dir/prog" 1 100 1200
    ls -la "$dir"
    [ -e "$dir/log" ] && { echo "log written: $(cat "$dir/log")"; rm -rf "$dir"; false; }
    [ -e "$dir/report" ] && { echo "report written"; rm -rf "$dir"; false; }
    rm -rf "$dir"
    [ "$status" -eq 0 ]
    [[ "$output" == *"SIGINT to main thread, step 1 of 3"* ]]
    between "$(recorded_ms SIGINT)" 300 1100 SIGINT
}
