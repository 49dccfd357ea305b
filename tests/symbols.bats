#!/usr/bin/env bats
# libguard.so exports its public API and nothing else (but the Python
# package's one private entry point, named as such).
# untimed
load helpers

@test "libguard.so exports exactly the public API (and the package's private entry point)" {
    setup_guard_env
    run sh -c "nm -D --defined-only '$GUARD_SO' | awk '\$2 ~ /^[TWDBV]$/ { print \$3 }' | sed 's/@.*//' | sort -u"
    [ "$status" -eq 0 ]
    expected=$(printf '%s\n' __libc_start_main exit guard_progress \
        guard_progress_on guard_time_begin guard_mem_begin guard_end guard_set_handler \
        libguard_private_hold_log | sort)
    [ "$output" = "$expected" ] || { echo "exported:"; echo "$output"; false; }
}
