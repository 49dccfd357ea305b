#!/usr/bin/env bats
# The memory guard: resident memory against a limit, grace periods, shares
# of the cgroup limit, adaptive sampling.
load helpers

setup() { setup_guard_env; }

rss_at_signal() {
    printf '%s\n' "$output" | awk '$1 == "rss" { print $2; exit }'
}

@test "allocating at up to 1 GiB/s: interrupted just past the limit, at the default interval" {
    run guarded LIBGUARD_MAX_MEMORY=300M LIBGUARD_INTERRUPT=signal -- "$TESTS_BIN/eat" 1024 900 3000 --free
    [ "$status" -eq 0 ]
    between "$(rss_at_signal)" 300 364 "MiB resident at SIGINT"
    [[ "$output" == *"done"* ]]
}

@test "allocating at up to 100 MiB/s: interrupted just past the limit" {
    run guarded LIBGUARD_MAX_MEMORY=200M LIBGUARD_INTERRUPT=signal -- "$TESTS_BIN/eat" 100 400 3500 --free
    [ "$status" -eq 0 ]
    between "$(rss_at_signal)" 200 264 "MiB resident at SIGINT"
}

@test "a program that frees on SIGINT carries on; the guard says it is back under and starts over" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer's allocator keeps freed memory resident"
    run guarded LIBGUARD_MAX_MEMORY=100M LIBGUARD_INTERRUPT=signal LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD=0.3 \
        -- "$TESTS_BIN/eat" 500 400 2000 --free
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | grep -c '^SIGINT ')" -eq 1 ]
    [ -z "$(recorded_ms SIGTERM)" ]
    [[ "$output" == *"is back under the limit of 100 MiB: the memory guard starts over"* ]]
    [[ "$output" == *"done"* ]]
}

@test "the log line names the size, the limit and the step in human units" {
    run guarded LIBGUARD_MAX_MEMORY=100M LIBGUARD_INTERRUPT=signal -- "$TESTS_BIN/eat" 500 300 1500 --free
    printf '%s\n' "$output" | grep -Eq 'libguard\[[0-9]+\]: resident memory [0-9.]+ MiB over the limit of 100 MiB for [0-9.]+m?s: SIGINT to main thread, step 1 of 3'
}

@test "a short spike inside the grace period triggers nothing" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer's allocator keeps freed memory resident"
    # 150 MiB resident for ~150 ms (mapped from a memory file, so the spike
    # is as short on a loaded machine as on an idle one), grace 1 s.
    run guarded LIBGUARD_MAX_MEMORY=100M LIBGUARD_MEMORY_GRACE_PERIOD=1 LIBGUARD_INTERRUPT=signal \
        LIBGUARD_CHECK_INTERVAL=20 -- "$TESTS_BIN/eat" --spike 150 150 1000
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"done"* ]]
    # the premise: the spike was shorter than the grace period
    read -r from to < <(awk '$1 == "spike" { print $4, $6 }' <<<"$output")
    between "$((to - from))" 150 700 "spike ms"
    [ -z "$(recorded_ms SIGINT)" ]
    [[ "$output" != *"over the limit"* ]]
}

@test "staying over the limit past the grace period does trigger" {
    run guarded LIBGUARD_MAX_MEMORY=100M LIBGUARD_MEMORY_GRACE_PERIOD=0.5 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/eat" 1000 250 2000 --over 100
    [ "$status" -eq 0 ]
    # Counted from when eat saw itself over 100 MiB (its MiB before that
    # one may have crossed first: 50 ms at a slow 20 MiB/s).
    between "$(( $(recorded_ms SIGINT) - $(recorded_ms over) ))" 450 1300 "SIGINT (ms after crossing)"
}

@test "the secondary grace period spaces the later steps" {
    run guarded LIBGUARD_MAX_MEMORY=100M LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD=0.6 LIBGUARD_INTERRUPT=signal \
        -- "$TESTS_BIN/eat" 1000 200 2000 --over 100
    [ "$status" -eq 0 ]
    first=$(recorded_ms SIGINT); second=$(recorded_ms SIGTERM 1); third=$(recorded_ms SIGTERM 2)
    between "$((first - $(recorded_ms over)))" -50 800 "SIGINT (ms after crossing)"
    between "$((second - first))" 580 1100 "SIGINT to first SIGTERM"
    between "$((third - second))" 580 1100 "first to second SIGTERM"
}

@test "memory and time guards run together in one watchdog" {
    # eat reports progress once, as it crosses 100 MiB: the time guard's
    # 1.5 s count from there, so the memory step comes first however fast
    # the machine faults pages in.
    run guarded LIBGUARD_MAX_MEMORY=100M LIBGUARD_TIMEOUT=1.5 LIBGUARD_INTERRUPT=signal LIBGUARD_GRACE_PERIOD=10 \
        -- "$TESTS_BIN/eat" 1000 200 2200 --free --over 100
    [ "$status" -eq 0 ]
    over=$(recorded_ms over)
    between "$(( $(recorded_ms SIGINT 1) - over ))" -50 800 "memory SIGINT (ms after crossing)"
    between "$(( $(recorded_ms SIGINT 2) - over ))" 1480 2150 "time SIGINT (ms after the progress)"
    [[ "$output" == *"over the limit"* ]]
    [[ "$output" == *"no progress for"* ]]
}

@test "an unmodified Python script gets KeyboardInterrupt under the signal ladder" {
    run guarded LIBGUARD_MAX_MEMORY=200M LIBGUARD_INTERRUPT=signal -- python3 -c '
import sys
x = []
try:
    while True:
        x.append(bytearray(1 << 20))
except KeyboardInterrupt:
    n = len(x)
    del x
    print("KeyboardInterrupt at", n, "MiB")
'
    [ "$status" -eq 0 ]
    [[ "$output" == *"KeyboardInterrupt at"* ]]
}

@test "a share is taken of physical memory where there is no cgroup limit" {
    run "$TESTS_BIN/memory-unit" resolve 50%
    [ "$status" -eq 0 ]
    kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
    total=$((kib * 1024))
    read -r bytes source <<<"$output"
    case "$source" in
        physical*) [ "$bytes" -eq $((total / 2)) ] ;;
        *) skip "this machine has a cgroup memory limit: $output" ;;
    esac
}

@test "cgroup limit files: numbers, max, and v1's no-limit value" {
    run "$TESTS_BIN/memory-unit" parse-limit "1073741824"
    [ "$output" = 1073741824 ]
    run "$TESTS_BIN/memory-unit" parse-limit "max"
    [ "$output" = 0 ]
    run "$TESTS_BIN/memory-unit" parse-limit "9223372036854771712"
    [ "$output" = 0 ]
    run "$TESTS_BIN/memory-unit" parse-limit "garbage"
    [ "$output" = 0 ]
}

@test "a share of a real cgroup's memory limit" {
    [ "$(id -u)" -eq 0 ] || skip "creating a cgroup needs root"
    group=
    for base in /sys/fs/cgroup/memory /sys/fs/cgroup; do
        if [ -f "$base/cgroup.procs" ] && mkdir "$base/libguard-test-$$" 2>/dev/null; then
            group="$base/libguard-test-$$"; break
        fi
    done
    [ -n "$group" ] || skip "cannot create a memory cgroup here"
    if [ -f "$group/memory.max" ]; then echo 1073741824 > "$group/memory.max"
    else echo 1073741824 > "$group/memory.limit_in_bytes"; fi
    run sh -c "echo \$\$ > '$group/cgroup.procs' && exec env LD_PRELOAD='$GUARD_PRELOAD' LIBGUARD_MAX_MEMORY=50% LIBGUARD_VERBOSE=1 '$TESTS_BIN/print-env'"
    rmdir "$group" 2>/dev/null || true
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory guard: 536870912 bytes (512 MiB) resident"* ]]
}

@test "far below the limit: at most 2 samples a second; near it: sooner" {
    run "$TESTS_BIN/memory-unit" delay 2000 0 500
    [ "$output" = "500.0" ]
    run "$TESTS_BIN/memory-unit" delay 0 0 500
    # 32 MiB at the assumed 1 GiB/s
    [ "$output" = "31.2" ]
    run "$TESTS_BIN/memory-unit" delay 100 4096 500
    # seen growing at 4 GiB/s: sooner still
    between "${output%.*}" 1 30 "delay in ms"
}
