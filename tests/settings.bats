#!/usr/bin/env bats
# Bad settings: one clear line naming the variable, the value and what would
# be valid; status 125 before main runs (LIBGUARD_ON_ERROR=exit), or an
# unguarded run (warn).
# untimed
load helpers

setup() { setup_guard_env; }

# rejects VAR=VALUE EXPECTED-TEXT: the program must not start (status 125),
# and stderr must name the variable and say EXPECTED-TEXT.
rejects() {
    local setting=$1 expected=$2
    run guarded "$setting" -- "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ] || { echo "status $status for $setting: $output"; return 1; }
    case "$output" in
        *"libguard loaded"*) echo "the program ran: $output"; return 1 ;;
    esac
    printf '%s\n' "$output" | grep -qF -- "${setting%%=*}" || { echo "no variable name: $output"; return 1; }
    printf '%s\n' "$output" | grep -qF -- "$expected" || { echo "no '$expected': $output"; return 1; }
}

@test "a duration that is not one" { rejects LIBGUARD_TIMEOUT=abc "LIBGUARD_TIMEOUT='abc' is not a duration (examples: 30, 1.5s"; }
@test "a negative duration" { rejects LIBGUARD_TIMEOUT=-1 "'-1' is not a duration"; }
@test "a duration with an unknown unit" { rejects LIBGUARD_TIMEOUT=5w "'5w' is not a duration (examples: 30, 1.5s, 250ms, 2m, 1h, 1d)"; }
@test "a duration unit in upper case" { rejects LIBGUARD_GRACE_PERIOD=2H "'2H' is not a duration: units are lower case (ms, s, m, h, d)"; }
@test "a duration with a blank" { rejects "LIBGUARD_TIMEOUT= 5" "is not a duration"; }
@test "an exponent is not a duration" { rejects LIBGUARD_TIMEOUT=1e3 "'1e3' is not a duration"; }
@test "a zero timeout" { rejects LIBGUARD_TIMEOUT=0 "'0' must be more than 0"; }
@test "a huge timeout names the maximum" { rejects LIBGUARD_TIMEOUT=99999999999h "'99999999999h' is more than the maximum of 366 days (366d)"; }
@test "just over the maximum duration" { rejects LIBGUARD_TIMEOUT=366.01d "is more than the maximum of 366 days"; }
@test "an empty value" { rejects LIBGUARD_TIMEOUT= "LIBGUARD_TIMEOUT='' is empty"; }
@test "a bad grace period" { rejects "LIBGUARD_GRACE_PERIOD=1.s" "'1.s' is not a duration"; }
@test "an unknown interrupt type" { rejects LIBGUARD_INTERRUPT=exceptions "(valid: exception, signal, exception_then_signal)"; }
@test "a boolean that is not one" { rejects LIBGUARD_SEND_KILL=maybe "'maybe' is not a boolean (valid: 1, 0, true"; }
@test "a log destination that is no path" { rejects LIBGUARD_LOG=stdout "'stdout' is not stderr, none or a file path"; }
@test "an unknown children policy" { rejects LIBGUARD_CHILDREN=some "(valid: inherit, none)"; }
@test "an unknown on-error policy" { rejects LIBGUARD_ON_ERROR=ignore "(valid: exit, warn)"; }
@test "a misspelt variable gets a suggestion" { rejects LIBGUARD_TIMOUT=3 "LIBGUARD_TIMOUT is not a libguard setting (did you mean LIBGUARD_TIMEOUT?)"; }
@test "an unrelated LIBGUARD_ name is rejected" { rejects LIBGUARD_XYZZY_PLUGH=1 "LIBGUARD_XYZZY_PLUGH is not a libguard setting"; }
@test "a signal libguard cannot use, and why" {
    rejects LIBGUARD_PYTHON_SIGNAL=SIGKILL "'SIGKILL' is not a signal libguard can use: SIGKILL cannot be caught"
    rejects LIBGUARD_PYTHON_SIGNAL=2 "'2' is not a signal libguard can use: SIGINT is one of the ladder's own steps"
    rejects LIBGUARD_PYTHON_SIGNAL=segv "SIGSEGV reports a fault"
    rejects LIBGUARD_PYTHON_SIGNAL=TSTP "SIGTSTP stops the program for job control"
    rejects LIBGUARD_PYTHON_SIGNAL=0 "'0' is not a signal number"
    rejects LIBGUARD_PYTHON_SIGNAL=SIGFOO "'SIGFOO' is not a signal (examples:"
}
@test "a size that is not one" { rejects LIBGUARD_MAX_MEMORY=10X "'10X' is not a size (examples: 512M"; }
@test "a share over 100%" { rejects LIBGUARD_MAX_MEMORY=150% "'150%' is not a share of at most 100%"; }
@test "a share without a number" { rejects LIBGUARD_MAX_MEMORY=% "'%' has no number before the % (examples: 50%"; }
@test "a size over the maximum" { rejects LIBGUARD_MAX_MEMORY=99999999999T "'99999999999T' is more than the maximum of 1024 PiB"; }
@test "an interrupt type gets a suggestion" { rejects LIBGUARD_INTERRUPT=exceptions "'exceptions' is not valid: did you mean exception?"; }
@test "a zero size" { rejects LIBGUARD_MAX_MEMORY=0 "'0' must be more than 0"; }
@test "a size with an exponent" { rejects LIBGUARD_MAX_MEMORY=1e99 "'1e99' is not a size"; }
@test "a size with a leading blank" { rejects "LIBGUARD_MAX_MEMORY= 5M" "is not a size"; }
@test "a negative size" { rejects LIBGUARD_MAX_MEMORY=-1 "'-1' is not a size"; }
@test "a check interval of 0" { rejects "LIBGUARD_CHECK_INTERVAL=0" "'0' is too short"; }
@test "a grace period without a timeout is a contradiction" { rejects LIBGUARD_GRACE_PERIOD=1 "LIBGUARD_GRACE_PERIOD has no effect without LIBGUARD_TIMEOUT"; }
@test "a memory grace period without a memory limit is a contradiction" { rejects LIBGUARD_MEMORY_GRACE_PERIOD=1 "has no effect without LIBGUARD_MAX_MEMORY"; }
@test "SIGKILL with the exception ladder is a contradiction" {
    run guarded LIBGUARD_TIMEOUT=1 LIBGUARD_INTERRUPT=exception LIBGUARD_SEND_KILL=1 -- "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ]
    [[ "$output" == *"LIBGUARD_SEND_KILL=1 has no effect with LIBGUARD_INTERRUPT=exception"* ]]
}
@test "non-UTF-8 and control bytes are quoted, not printed raw" {
    run guarded "LIBGUARD_TIMEOUT=$(printf '\xff\x1b[31m')" -- "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ]
    [[ "$output" == *"LIBGUARD_TIMEOUT='\\xff\\x1b[31m' is not a duration"* ]]
}
@test "a very long value is cut in the message" {
    run guarded "LIBGUARD_TIMEOUT=$(head -c 100000 /dev/zero | tr '\0' 9)" -- "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ]
    [ "${#output}" -lt 600 ]
    [[ "$output" == *"is more than the maximum of 366 days"* ]]
}
@test "every problem is reported, one line each" {
    run guarded LIBGUARD_TIMEOUT=x LIBGUARD_INTERRUPT=y -- "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ]
    [[ "$output" == *"LIBGUARD_TIMEOUT='x'"* ]]
    [[ "$output" == *"LIBGUARD_INTERRUPT='y'"* ]]
}

@test "LIBGUARD_ON_ERROR=warn runs the program unguarded" {
    run guarded LIBGUARD_ON_ERROR=warn LIBGUARD_TIMEOUT=abc -- "$TESTS_BIN/ladder" --max 300
    [ "$status" -eq 0 ]
    [[ "$output" == *"LIBGUARD_TIMEOUT='abc' is not a duration"* ]]
    [[ "$output" == *"running the program unguarded"* ]]
    [[ "$output" == *"done"* ]]
}

@test "valid spellings are accepted" {
    for t in 30 1.5s 2500ms 2m 1h 0.75h 1d 366d; do
        run guarded LIBGUARD_TIMEOUT=$t LIBGUARD_GRACE_PERIOD=0 LIBGUARD_SEND_KILL=off LIBGUARD_INTERRUPT=signal -- "$TESTS_BIN/print-env"
        [ "$status" -eq 0 ] || { echo "$t: $output"; false; }
    done
    for m in 512M 2G 1048576 50% 0.5G 1T 64GiB 2gb 2GB 2g 2gib 2GIB 1536mb 1073741824B 12.5%; do
        run guarded LIBGUARD_MAX_MEMORY=$m LIBGUARD_CHECK_INTERVAL=100 -- "$TESTS_BIN/print-env"
        [ "$status" -eq 0 ] || { echo "$m: $output"; false; }
    done
}

@test "signals by number or name, with or without SIG, in any case" {
    for s in 23 URG SIGURG sigurg Urg 28 WINCH RTMIN RTMIN+2 rtmax-1 SIGRTMAX 10 usr1; do
        run guarded LIBGUARD_PYTHON_SIGNAL=$s -- "$TESTS_BIN/print-env"
        [ "$status" -eq 0 ] || { echo "$s: $output"; false; }
    done
}

@test "interrupt types in any case, with - for _" {
    for i in exception_then_signal Exception-Then-Signal SIGNAL; do
        run guarded LIBGUARD_TIMEOUT=30 LIBGUARD_INTERRUPT=$i -- "$TESTS_BIN/print-env"
        [ "$status" -eq 0 ] || { echo "$i: $output"; false; }
    done
}

@test "a valid setting changes nothing visible in the program" {
    run guarded LIBGUARD_TIMEOUT=30 -- "$TESTS_BIN/print-env"
    [ "$status" -eq 0 ]
    [ "$output" = "libguard loaded
LD_PRELOAD=$GUARD_PRELOAD" ]
}
