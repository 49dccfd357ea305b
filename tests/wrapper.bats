#!/usr/bin/env bats
# The guard command (tools/guard.c): exit statuses, signal forwarding,
# LD_PRELOAD, outside mode, guard inside guard.
load helpers
bats_require_minimum_version 1.5.0

setup() {
    setup_guard_env
    GUARD="$TESTS_BIN/../tools/guard"
    [ -x "$GUARD" ] || { echo "no $GUARD"; return 1; }
    # Run from the build tree: preload the library just built.
    export GUARD_LIBRARY="$GUARD_SO"
    unset LD_PRELOAD
    cd "$BATS_TEST_TMPDIR"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Start guard in the background with signals at their default actions (a
# shell starts background commands with SIGINT and SIGQUIT ignored, and guard
# honours that), wait
# until the command says it is ready, leave guard's pid in $gpid.
start_ready() {
    rm -f ready
    mkfifo ready
    env --default-signal "$@" &
    gpid=$!
    read -r _ < ready
}

# guard removes its status file when the command ends.  A process the
# command left running that starts a guarded program afterwards (its shim
# notes "started PID") must not make that file again: nobody would remove
# it.
@test "a program started by what the command left running does not make guard's status file again" {
    mkdir tmp
    mkfifo go back
    TMPDIR="$BATS_TEST_TMPDIR/tmp" run "$GUARD" -t 30 -- \
        sh -c '(read -r x < go; /bin/true; echo done > back) >/dev/null 2>&1 & echo started'
    [ "$status" -eq 0 ] && [ "$output" = started ] || { echo "status $status: $output"; false; }
    echo go > go          # guard has ended: the orphan starts /bin/true now
    read -r _ < back      # and it has ended
    run ls -A tmp
    [ -z "$output" ] || { echo "left in TMPDIR: $output"; cat tmp/*; false; }
}

# ---- exit statuses -------------------------------------------------------

@test "the time guard fires: status 124 after about the timeout" {
    t0=$(now_ms)
    run "$GUARD" -t 1 -- sleep 10
    t1=$(now_ms)
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    between $((t1 - t0)) 800 5000 "elapsed ms"
    [[ "$output" == *"libguard["*"no progress for "*"(limit 1s)"* ]]
    [[ "$output" != *"outside mode"* ]]
}

@test "the memory guard fires: status 122" {
    run "$GUARD" -m 20M -- "$TESTS_BIN/hog" 100 --max 20000
    [ "$status" -eq 122 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"libguard["*"resident memory"*"over the limit"* ]]
}

@test "the command's own status when no guard fires" {
    run "$GUARD" -t 30 -- sh -c 'exit 7'
    [ "$status" -eq 7 ]
    run "$GUARD" -t 30 -m 1G -- true
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "a command that dies from signal N: 128+N" {
    run "$GUARD" -t 30 -- sh -c 'kill -USR1 $$'
    [ "$status" -eq 138 ] || { echo "status $status: $output"; false; }
}

@test "a command that cannot run: 126" {
    printf 'not a program\n' > plain
    chmod -x plain
    run "$GUARD" -t 5 -- ./plain
    [ "$status" -eq 126 ]
    [[ "$output" == "guard: cannot run './plain': Permission denied" ]]
}

@test "a command that is not found: 127" {
    run -127 "$GUARD" -t 1 -- nosuchcmd-libguard
    [ "$status" -eq 127 ]
    [[ "$output" == "guard: cannot run 'nosuchcmd-libguard': No such file or directory" ]]
}

# ---- bad flags and values: 125 and one line naming the flag ---------------

bad() {
    local expect=$1; shift
    run "$GUARD" "$@"
    [ "$status" -eq 125 ] || { echo "status $status for $*: $output"; return 1; }
    [ "${#lines[@]}" -eq 1 ] || { echo "not one line for $*: $output"; return 1; }
    [[ "$output" == "guard: "*"$expect"* ]] || { echo "for $*: $output"; return 1; }
}

@test "bad flags and values: status 125, one line naming the flag" {
    bad "unknown option '--bogus'" --bogus
    bad "unknown option '-z'" -z -- true
    bad "--timeout 'abc' is not a duration (examples:" -t abc -- true
    bad "--timeout 'abc' is not a duration" --timeout=abc -- true
    bad "--max-memory '12Q' is not a size" -m 12Q -- true
    bad "--interrupt 'nice' is not valid (valid: exception, signal" -t 1 -i nice -- true
    bad "--check-interval '0' is too short" -m 1G --check-interval 0 -- true
    bad "--log 'logfile' is not stderr, none or a file path" -t 1 --log logfile -- true
    bad "--python-signal 'SIGINT' is not a signal libguard can use" -t 1 --python-signal SIGINT -- true
    bad "--children 'some' is not valid (valid: inherit, none)" -t 1 --children some -- true
    bad "option '--timeout' needs a value" -t
    bad "--grace-period has no effect without --timeout" -g 5 -- true
    bad "--kill has no effect with --interrupt=exception" -t 1 -k -i exception -- true
    bad "nothing to guard" -- true
    bad "no command given" -t 1
}

@test "a bad inherited LIBGUARD_* value or a missing library: 125" {
    LIBGUARD_TIMEOUT=soon run "$GUARD" -- true
    [ "$status" -eq 125 ]
    [[ "$output" == "guard: LIBGUARD_TIMEOUT='soon' is not a duration"* ]]
    GUARD_LIBRARY=/nonexistent/libguard.so run "$GUARD" -t 1 -- true
    [ "$status" -eq 125 ]
    [[ "$output" == "guard: cannot find libguard at /nonexistent/libguard.so"* ]]
}

# ---- timeout(1)'s habits --------------------------------------------------------

# The time guard as guard -v describes it ("time guard: ..." line).
time_guard_line() {
    run "$GUARD" -v "$@"
    [ "$status" -eq 0 ] || { echo "status $status for $*: $output"; return 1; }
    printf '%s\n' "$output" | sed -n 's/^guard: time guard: //p'
}

@test "-k DURATION, as timeout(1): SIGKILL that long after the first step" {
    t0=$(now_ms)
    run "$GUARD" -t 0.5 -k 2 -i signal -- "$TESTS_BIN/sigrecord" --max 30000
    t1=$(now_ms)
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"SIGKILL to main thread, step 3 of 3"* ]] || { echo "$output"; false; }
    # steps 1s apart (half of 2s), not the default 15s
    between "$(( $(recorded_ms SIGTERM) - $(recorded_ms SIGINT) ))" 800 3000 "SIGINT to SIGTERM ms"
    between $((t1 - t0)) 2300 10000 "elapsed ms"
}

@test "-k with a duration attached, as the next word, or --kill-after; -k alone is --kill" {
    for spelling in "-k2" "-k 2" "--kill-after=2" "--kill-after 2"; do
        # shellcheck disable=SC2086
        line=$(time_guard_line -t 30 $spelling -- true)
        [ "$line" = "30s without progress, then steps 1s apart (exception_then_signal, SIGKILL last)" ] \
            || { echo "$spelling: $line"; false; }
    done
    line=$(time_guard_line -t 30 -k true)
    [ "$line" = "30s without progress, then steps 15s apart (exception_then_signal, SIGKILL last)" ] \
        || { echo "-k true: $line"; false; }
    line=$(time_guard_line -t 30 -k -- true)
    [[ "$line" == *"steps 15s apart (exception_then_signal, SIGKILL last)" ]] || { echo "$line"; false; }
    line=$(time_guard_line -t 30 -k 0 true) # timeout(1): -k 0 sends no KILL
    [ "$line" = "30s without progress, then steps 15s apart (exception_then_signal)" ] \
        || { echo "-k 0: $line"; false; }
    line=$(time_guard_line -t 30 -g 1 -k 2 true) # consistent: accepted
    [[ "$line" == *"steps 1s apart"*"SIGKILL last)" ]] || { echo "$line"; false; }
}

@test "a memory guard alone: --kill (-k alone) ends it with SIGKILL; -k DURATION beside -t too" {
    for spelling in "-k" "--kill"; do
        run "$GUARD" -v -m 1G $spelling -- true
        [ "$status" -eq 0 ] || { echo "$spelling: status $status: $output"; false; }
        [[ "$output" == *"guard: memory guard: 1 GiB resident"*"SIGKILL last)"* ]] \
            || { echo "$spelling: $output"; false; }
    done
    run "$GUARD" -v -m 1G -t 30 -k 2 -- true
    [[ "$output" == *"guard: memory guard: 1 GiB resident, 0s grace, then steps 5s apart"*"SIGKILL last)"* ]] \
        || { echo "$output"; false; }
    LIBGUARD_TIMEOUT=30 run "$GUARD" -v -m 1G -k 2 -- true
    [ "$status" -eq 0 ] || { echo "inherited timeout: status $status: $output"; false; }
    run "$GUARD" -m 1G -k 0 -- true # timeout(1)'s -k 0: no SIGKILL, nothing to refuse
    [ "$status" -eq 0 ] || { echo "-k 0: status $status: $output"; false; }
}

@test "-s INT starts the ladder with SIGINT; other signals say what to use" {
    line=$(time_guard_line -t 30 -s INT true)
    [ "$line" = "30s without progress, then steps 15s apart (signal)" ] || { echo "$line"; false; }
    line=$(time_guard_line -t 30 --signal=sigint true)
    [[ "$line" == *"(signal)" ]] || { echo "$line"; false; }
    line=$(time_guard_line -t 30 -s 2 true)
    [[ "$line" == *"(signal)" ]] || { echo "$line"; false; }
    bad "--signal SIGTERM does not fit libguard's ladder (an exception in Python, SIGINT, SIGTERM): use -s INT (or -i signal) to start with SIGINT, -k DURATION to end with SIGKILL" -t 5 -s TERM -- true
    bad "--signal SIGKILL: libguard sends SIGKILL only as the last step: use -k DURATION" -t 5 -s KILL -- true
    bad "--signal SIGHUP does not fit" -t 5 --signal=1 -- true
    bad "--signal 'FOO' is not a signal (examples:" -t 5 -s FOO -- true
}

@test "--preserve-status: the command's own status even when a guard fired; --foreground is accepted" {
    run "$GUARD" --preserve-status -t 0.5 -i signal -- "$TESTS_BIN/sigrecord" --exit-on-signal 3 --max 30000
    [ "$status" -eq 3 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"SIGINT "* ]]
    run "$GUARD" -t 0.5 -i signal -- "$TESTS_BIN/sigrecord" --exit-on-signal 3 --max 30000
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    run "$GUARD" --foreground -t 30 -- sh -c 'exit 7'
    [ "$status" -eq 7 ] || { echo "status $status: $output"; false; }
}

@test "timeout(1)'s DURATION COMMAND form; -- before a command named like a duration" {
    run "$GUARD" 0.5 sleep 10
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"(limit 500ms)"* ]] || { echo "$output"; false; }
    line=$(time_guard_line -m 1G 1d true)
    [[ "$line" == "1440m without progress"* ]] || { echo "$line"; false; }
    run -127 "$GUARD" -t 5 -- 5 true
    [ "$output" = "guard: cannot run '5': No such file or directory" ]
    bad "'5' reads as timeout(1)'s DURATION, but -t/--timeout was given too: put -- before COMMAND if it is called '5'" -t 5 5 true
    bad "DURATION '0' must be more than 0" 0 true
    bad "DURATION '367d' is more than the maximum of 366 days (366d)" 367d true
}

@test "timeout(1)'s flags that do not fit, and typos: one line saying what to use" {
    bad "unknown option '--kill-afer=5' (did you mean --kill-after?)" --kill-afer=5 -t 1 -- true
    bad "unknown option '--timout' (did you mean --timeout?)" --timout 1 -- true
    bad "unknown option '--preserve_status' (did you mean --preserve-status?)" --preserve_status -t 1 -- true
    bad "option '--preserve-status' takes no value" --preserve-status=1 -t 1 -- true
    bad "option '--kill' takes no value (see guard --help; SIGKILL after a delay: --kill-after=DURATION)" --kill=5 -t 1 -- true
    bad "option '--memory' is ambiguous" --memory 1G -- true
    bad "-k 5 puts SIGKILL 5s after the first step, so steps 2.5s apart, but -g/--grace-period says 3: give one of them" -t 1 -g 3 -k 5 -- true
    bad "-k 5 puts SIGKILL that long after the time guard's first step, and there is no time guard: give -t too, or --kill (-k without a duration) to end the memory guard with SIGKILL" -m 1G -k 5 -- true
    bad "--kill-after 5 puts SIGKILL that long after the time guard's first step, and there is no time guard" -m 1G --kill-after=5 -- true
    bad "--kill-after has no effect with --interrupt=exception" -t 1 -k 5 -i exception -- true
    bad "-k 'v' is not a duration" -t 1 -kv -- true
}

# ---- signals ----------------------------------------------------------------

@test "INT, TERM, HUP, QUIT, USR1 and USR2 sent to guard reach the command" {
    for sig in INT TERM HUP QUIT USR1 USR2; do
        start_ready "$GUARD" -t 30 -- "$TESTS_BIN/sigrecord" --ready ready \
            --exit-on-signal 3 --max 20000 > out
        kill -s "$sig" "$gpid"
        status=0
        wait "$gpid" || status=$?
        [ "$status" -eq 3 ] || { echo "$sig: status $status"; cat out; false; }
        grep -q "^SIG$sig " out || { echo "$sig not recorded:"; cat out; false; }
    done
}

@test "Ctrl-C on guard's process group reaches the command" {
    # As a terminal does: SIGINT to guard's whole (foreground) process group;
    # the command is in a group of its own, so only guard can pass it on.
    rm -f ready; mkfifo ready
    setsid env --default-signal=INT "$GUARD" -t 30 -- "$TESTS_BIN/sigrecord" \
        --ready ready --max 20000 > out &
    gpid=$!
    read -r _ < ready
    kill -s INT -- "-$gpid"
    status=0
    wait "$gpid" || status=$?
    grep -q "^SIGINT " out || { echo "not recorded:"; cat out; false; }
    [ "$status" -eq 0 ] # it recorded SIGINT, carried on and finished
}

# Wait until process $1 is stopped (state T in /proc/PID/stat), 10 s at most.
wait_stopped() {
    local i
    for i in $(seq 200); do
        [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = T ] && return 0
        sleep 0.05
    done
    echo "process $1 never stopped"; return 1
}

@test "a command that stops itself: continued after the time limit, its ladder fires (124)" {
    # Not on a terminal, nobody would continue it; its watchdog is stopped
    # with it.  Continued, it blocks in open() on a FIFO nobody writes.
    mkfifo never
    t0=$(now_ms)
    run timeout -k 5 60 "$GUARD" -t 1 -g 1 -- sh -c 'kill -STOP $$; read -r x < never'
    t1=$(now_ms)
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"stopped for longer than the time limit (1s): SIGCONT"* ]] || { echo "$output"; false; }
    [[ "$output" == *"libguard["*"no progress for "*"SIGINT to main thread"* ]] || { echo "$output"; false; }
    between $((t1 - t0)) 800 20000 "elapsed ms"
}

@test "TERM to guard ends a stopped command at once: TERM, then SIGCONT" {
    rm -f ready; mkfifo ready
    env --default-signal "$GUARD" -t 30 -- sh -c 'echo $$ > ready; kill -STOP $$; exit 9' &
    gpid=$!
    read -r cpid < ready
    wait_stopped "$cpid"
    t0=$(now_ms)
    kill -TERM "$gpid"
    # Well before the 30 s time limit.
    for _ in $(seq 200); do kill -0 "$gpid" 2>/dev/null || break; sleep 0.05; done
    t1=$(now_ms)
    if kill -0 "$gpid" 2>/dev/null; then
        kill -KILL "$cpid"; wait "$gpid"; echo "guard still running"; false
    fi
    status=0
    wait "$gpid" || status=$?
    [ "$status" -eq 143 ] || { echo "status $status"; false; } # the command died from SIGTERM
    between $((t1 - t0)) 0 8000 "ms from TERM to the end"
}

@test "outside mode: each step but SIGKILL is followed by SIGCONT, so a stopped command acts on it" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer build has no static binaries"
    # Steps at 5 s (SIGINT), 7 s (SIGTERM), 9 s (SIGKILL); stopped after the
    # first, the command would be continued for its stop only at 10 s.
    start_ready "$GUARD" -t 5 -g 2 -i signal -k -- "$TESTS_BIN/sigrecord-static" \
        --ready ready --max 30000 > out 2> err
    cpid=$(pgrep -P "$gpid")
    for _ in $(seq 300); do grep -q '^SIGINT ' out && break; sleep 0.05; done
    kill -STOP "$cpid"
    status=0
    wait "$gpid" || status=$?
    [ "$status" -eq 124 ] || { echo "status $status"; cat out err; false; }
    # Continued after SIGTERM, it handled it: without SIGCONT, it would have
    # died stopped by the last step, SIGKILL, the SIGTERM still pending.
    output=$(cat out)
    between "$(recorded_ms SIGTERM)" 6500 9500 "SIGTERM ms"
}

# Run "$@" with stderr on a pipe whose reader has exited; print the status
# and stdout.  restore=False: SIGPIPE as python3 keeps it (ignored).
with_closed_stderr() {
    local restore=$1; shift
    python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[2:], stderr=w, stdout=subprocess.PIPE,
                   restore_signals=sys.argv[1] == "True")
print(p.returncode, p.stdout.decode().strip())' "$restore" "$@"
}

@test "guard -v with stderr on a closed pipe: the command's status, SIGPIPE as guard found it" {
    command -v python3 > /dev/null || skip "no python3"
    # --log: the shim's lines go to a file, the command's stderr is untouched.
    # SigIgn is a hex mask: SIGPIPE (13) is bit 12.
    cmd='sleep 1; mask=$(sed -n "s/^SigIgn:\t*//p" /proc/self/status); echo $(( 0x$mask >> 12 & 1 )); exit 3'
    run with_closed_stderr True "$GUARD" -v --log=./steps.log -t 10 -- sh -c "$cmd"
    [ "$output" = "3 0" ] || { echo "expected status 3, SIGPIPE not ignored: $output"; false; }
    # Ignored by whoever started guard: still ignored in the command.
    run with_closed_stderr False "$GUARD" -v --log=./steps.log -t 10 -- sh -c "$cmd"
    [ "$output" = "3 1" ] || { echo "expected status 3, SIGPIPE ignored: $output"; false; }
}

# ---- LD_PRELOAD ----------------------------------------------------------------

@test "an existing LD_PRELOAD is kept, libguard goes first" {
    other=/lib/x86_64-linux-gnu/libm.so.6
    [ -e "$other" ] || skip "no $other"
    LD_PRELOAD="$other" run "$GUARD" -t 30 -- "$TESTS_BIN/print-env"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "libguard loaded" ]
    [ "${lines[1]}" = "LD_PRELOAD=$GUARD_SO:$other" ]
}

@test "-v prints the wrapper's view and the shim's settings" {
    run "$GUARD" -v -t 2 -- true
    [ "$status" -eq 0 ]
    [[ "$output" == *"guard: LD_PRELOAD=$GUARD_SO"* ]]
    [[ "$output" == *"guard: time guard: 2s without progress"* ]]
    [[ "$output" == *"libguard["*"]: time guard: 2s without progress"* ]]
}

# ---- outside mode ---------------------------------------------------------------

@test "a static binary is guarded from outside: the time ladder on schedule" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer build has no static binaries"
    t0=$(now_ms)
    run "$GUARD" -t 0.5 -g 0.5 -i signal -k -- "$TESTS_BIN/sigrecord-static" --max 20000
    t1=$(now_ms)
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"outside mode: libguard is not in process"*"statically linked"* ]]
    [ "$(printf '%s\n' "$output" | grep -c 'outside mode: libguard is not in process')" -eq 1 ]
    between "$(recorded_ms SIGINT)" 400 2500 "SIGINT ms"
    between "$(recorded_ms SIGTERM)" 800 4000 "SIGTERM ms"
    [ "$(recorded_ms SIGTERM)" -gt "$(recorded_ms SIGINT)" ]
    [[ "$output" == *"SIGKILL to process group"* ]]
    between $((t1 - t0)) 1200 8000 "elapsed ms"
}

@test "a static binary is guarded from outside: the memory limit" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer build has no static binaries"
    run "$GUARD" -m 20M -- "$TESTS_BIN/hog-static" 100 --max 20000
    [ "$status" -eq 122 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"outside mode"*"statically linked"* ]]
    [[ "$output" == *"resident memory"*"over the limit of 20 MiB"*"SIGINT to process"* ]]
}

@test "a command that never reports in is guarded from outside" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer build has no static binaries"
    # A script whose interpreter is static: guard sees a script, preloads
    # libguard, and the shim never reports in.
    printf '#!%s\n' "$TESTS_BIN/sigrecord-static" > script
    chmod +x script
    run "$GUARD" -t 0.5 -g 0.3 -k -- ./script --max 20000
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"outside mode"*"did not report in"* ]]
    # Due at 0.5 s, but guard waits 1 s for the shim to report in first.
    between "$(recorded_ms SIGINT)" 900 2000 "SIGINT ms"
}

@test "a command that executes a program without LD_PRELOAD is guarded from outside" {
    run "$GUARD" -t 0.5 -g 0.3 -k -- env -u LD_PRELOAD "$TESTS_BIN/sigrecord" --max 20000
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"outside mode"*"not entered within 1s"* ]]
    # Due at 0.5 s, but guard waits 1 s for the shim to enter the program first.
    between "$(recorded_ms SIGINT)" 900 2000 "SIGINT ms"
}

@test "a command that executes a static program is guarded from outside" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer build has no static binaries"
    run "$GUARD" -t 0.5 -g 0.3 -k -- sh -c "exec '$TESTS_BIN/sigrecord-static' --max 20000"
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"outside mode"*"it executed $TESTS_BIN/sigrecord-static"*"statically linked"* ]]
    # Due 0.5 s after guard started sh (or after it saw the exec, when sh
    # had not executed the program yet), counted here from the program's start.
    between "$(recorded_ms SIGINT)" 300 2000 "SIGINT ms"
}

@test "a command that executes a dynamic program stays guarded from inside" {
    run "$GUARD" -t 1 -- sh -c "exec '$TESTS_BIN/sigrecord' --max 20000"
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    [[ "$output" != *"outside mode"* ]]
    [[ "$output" == *"libguard["*"no progress for "*"(limit 1s)"* ]]
}

# ---- the job ends with its command ----------------------------------------------------

@test "after the guard fired, what is left of the process group is ended" {
    # A static background child (the shim cannot enter it) that handles
    # SIGTERM; the foreground command is ended by the time guard.
    run "$GUARD" -t 0.5 -g 0.3 -- sh -c \
        "'$TESTS_BIN/sigrecord-static' --max 30000 > bg & echo \$! > bgpid; exec sleep 30"
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    pid=$(cat bgpid)
    ! kill -0 "$pid" 2>/dev/null || { echo "orphan $pid outlived the job"; kill -9 "$pid"; false; }
    grep -q "^SIGTERM " bg || { echo "no SIGTERM:"; cat bg; false; }
    [[ "$output" == *"SIGKILL to what is still left of process group"* ]]
}

@test "--dry-run: steps are logged, nothing is interrupted, the command's status" {
    run "$GUARD" -t 0.3 --dry-run -- sh -c 'sleep 1; exit 5'
    [ "$status" -eq 5 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"dry run: nothing sent"* ]]
}

# ---- guard inside guard ----------------------------------------------------------------

@test "guard inside guard: the outer limit fires" {
    t0=$(now_ms)
    run "$GUARD" -t 1 -- "$GUARD" -t 30 -- sleep 30
    t1=$(now_ms)
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    between $((t1 - t0)) 800 6000 "elapsed ms"
}

@test "guard inside guard: the inner limit fires" {
    t0=$(now_ms)
    run "$GUARD" -t 30 -- "$GUARD" -t 1 -- sleep 30
    t1=$(now_ms)
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    between $((t1 - t0)) 800 6000 "elapsed ms"
}

# ---- help -------------------------------------------------------------------------------

@test "--progress and --report reach the shim" {
    report="$BATS_TEST_TMPDIR/report.jsonl"
    mkfifo "$BATS_TEST_TMPDIR/never"
    # A line every 0.2 s from bash builtins (milliseconds to start, so the
    # 1 s budget is the program's own); the read waits the full 0.2 s.
    run "$GUARD" -t 1 -i signal --progress output --report "$report" -- bash -c '
for i in 0 1 2 3 4 5 6 7; do echo "$i"; read -r -t 0.2 <>"$1"; done; echo finished' writer "$BATS_TEST_TMPDIR/never"
    [ "$status" -eq 0 ]
    run python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(r[-1]["ended"], len(r[-1]["steps"]))' "$report"
    [ "$output" = "{'how': 'exit', 'status': 0} 0" ]
    run "$GUARD" -t 1 --progress input -- true
    [ "$status" -eq 125 ]
    [[ "$output" == *"--progress 'input' is not valid (valid: io, output, file:PATH)"* ]]
}

@test "--help lists every flag; --version" {
    run "$GUARD" --help
    [ "$status" -eq 0 ]
    for flag in -t --timeout -m --max-memory -g --grace-period --memory-grace-period \
        --memory-secondary-grace-period -i --interrupt -k --kill --check-interval --log \
        --children --python-signal --dry-run --progress --report -v --verbose --help --version \
        --kill-after -s --signal --preserve-status --foreground; do
        [[ "$output" == *" $flag"[=,\ ]* ]] || { echo "$flag missing"; false; }
    done
    [[ "$output" == *"124"*"122"*"125"*"126"*"127"*"128+N"* ]]
    run "$GUARD" --version
    [ "$status" -eq 0 ]
    [[ "$output" == "guard (libguard) "* ]]
}

# ---- on a terminal --------------------------------------------------------------------------

on_tty() {
    command -v python3 > /dev/null || skip "no python3"
    rm -f ready; mkfifo ready
    run timeout 30 python3 "$TESTS_SRC/on-tty.py" ready "$@"
}

@test "on a terminal: Ctrl-C reaches the command" {
    on_tty '\x03' "$GUARD" -t 30 -- "$TESTS_BIN/sigrecord" --ready ready --exit-on-signal 3
    [[ "$output" == *"SIGINT "* ]] || { echo "$output"; false; }
    [ "${lines[-1]}" = "exit 3" ] || { echo "$output"; false; }
}

@test "on a terminal: the command gets the foreground and can read it" {
    on_tty 'hello\n' "$GUARD" -t 30 -- sh -c 'echo > ready; read x; echo "got:$x"'
    [[ "$output" == *"got:hello"* ]] || { echo "$output"; false; }
    [ "${lines[-1]}" = "exit 0" ]
}

@test "on a terminal: Ctrl-Z stops guard with the command, fg continues both" {
    on_tty '\x1a' "$GUARD" -t 30 -- "$TESTS_BIN/sigrecord" --ready ready --max 1500
    [ "${lines[0]}" = "stopped" ] || { echo "$output"; false; }
    [[ "$output" == *"done "* ]]
    [ "${lines[-1]}" = "exit 0" ]
}
