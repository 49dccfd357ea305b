# Shared by the bats suites.  make check exports GUARD_SO (the built
# library), TESTS_BIN (the test programs) and TESTS_SRC.  GUARD_PRELOAD, when
# set, is what LD_PRELOAD gets instead of GUARD_SO: a sanitizer build puts
# its runtime first (.ci/run).

setup_guard_env() {
    # Start each test from a clean slate: no LIBGUARD_* from the caller.
    for v in $(env | sed -n 's/^\(LIBGUARD_[A-Za-z0-9_]*\)=.*/\1/p'); do
        unset "$v"
    done
    : "${GUARD_SO:?run through make check}"
    : "${TESTS_BIN:?run through make check}"
    GUARD_PRELOAD=${GUARD_PRELOAD:-$GUARD_SO}
}

# guarded VAR=VALUE... -- COMMAND...: run COMMAND with libguard preloaded.
guarded() {
    local vars=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do vars+=("$1"); shift; done
    shift
    env LD_PRELOAD="$GUARD_PRELOAD" "${vars[@]}" "$@"
}

# The milliseconds recorded on the line "WHAT MS ..." of $output.
recorded_ms() {
    local what=$1 n=${2:-1}
    printf '%s\n' "$output" | awk -v w="$what" '$1 == w { print $2 }' | sed -n "${n}p"
}

# Assert LOW <= VALUE <= HIGH, saying what failed.
between() {
    local value=$1 low=$2 high=$3 what=${4:-value}
    if [ -z "$value" ]; then
        echo "$what: not recorded; output was:"; echo "$output"; return 1
    fi
    if [ "$value" -lt "$low" ] || [ "$value" -gt "$high" ]; then
        echo "$what=$value not in [$low, $high]; output was:"; echo "$output"; return 1
    fi
}
