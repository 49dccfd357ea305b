#!/usr/bin/env bats
# libguard.so exports its public API and nothing else (but the three private
# entry points of its Python package).
# untimed
load helpers

@test "libguard.so exports exactly the public API (and the package's private entry points)" {
    setup_guard_env
    run sh -c "nm -D --defined-only '$GUARD_SO' | awk '\$2 ~ /^[TWDBV]$/ { print \$3 }' | sed 's/@.*//' | sort -u"
    [ "$status" -eq 0 ]
    expected=$(printf '%s\n' __libc_start_main exit pthread_exit guard_progress \
        guard_progress_on guard_time_begin guard_mem_begin guard_end guard_set_handler \
        libguard_package_settings_problems libguard_package_signal_blocked libguard_package_hold_log | sort)
    [ "$output" = "$expected" ] || { echo "exported:"; echo "$output"; false; }
}
