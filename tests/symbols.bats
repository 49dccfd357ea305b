#!/usr/bin/env bats
# libguard.so exports its public API and nothing else (but the private entry
# points of its Python package, in a version node of their own).
# untimed
load helpers

@test "libguard.so exports exactly the public API (and the package's private entry points)" {
    setup_guard_env
    run sh -c "nm -D --defined-only '$GUARD_SO' | awk '\$2 ~ /^[TWDBV]$/ { print \$3 }' | sort -u"
    [ "$status" -eq 0 ]
    expected=$(printf '%s\n' __libc_start_main exit pthread_exit guard_progress \
        guard_progress_on guard_time_begin guard_mem_begin guard_end guard_set_handler \
        libguard_package_settings_problems@@LIBGUARD_PRIVATE_PACKAGE_1 \
        libguard_package_attach@@LIBGUARD_PRIVATE_PACKAGE_1 \
        libguard_package_guard_left@@LIBGUARD_PRIVATE_PACKAGE_1 \
        libguard_package_deferred_enter@@LIBGUARD_PRIVATE_PACKAGE_1 \
        libguard_package_deferred_exit@@LIBGUARD_PRIVATE_PACKAGE_1 \
        libguard_package_protect@@LIBGUARD_PRIVATE_PACKAGE_1 | sort)
    [ "$output" = "$expected" ] || { echo "exported:"; echo "$output"; false; }
}
