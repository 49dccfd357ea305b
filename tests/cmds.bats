#!/usr/bin/env bats
# LIBGUARD_ONLY_CMDS and LIBGUARD_SKIP_CMDS: which programs of a process tree
# the preload guards; guard --only-cmds and --skip-cmds.
load helpers
load pythons

setup() {
    setup_guard_env
    find_pythons
    dir=$BATS_TEST_TMPDIR
}

# workers PY: a shell script of three steps: a sleep longer than the
# timeout (no Python, so not guarded), a stuck Python worker, a quick one
# (which starts well within the timeout, even on a loaded machine).
workers() {
    cat >"$dir/workers.sh" <<EOF
sleep 2; echo "sleep \$?"
"$1" -c 'while True: pass'; echo "stuck \$?"
"$1" -c 'print("quick ok")'
EOF
}

only_python_workers() {
    workers "$PY"
    rm -f "$dir/report.jsonl"
    run guarded LIBGUARD_ONLY_CMDS='python3*' LIBGUARD_TIMEOUT=1.5 LIBGUARD_GRACE_PERIOD=5 \
        "LIBGUARD_REPORT=$dir/report.jsonl" -- sh "$dir/workers.sh"
    status_is 0 && says '^sleep 0$' && says 'ExecutionTimeout' && says '^stuck 1$' \
        && says '^quick ok$' || return 1
    # One report line per Python worker, none for sh or sleep.
    run python3 -c 'import json, sys
for line in open(sys.argv[1]): print(json.loads(line)["argv"][0])' "$dir/report.jsonl"
    [ "${#lines[@]}" -eq 2 ] && [[ "${lines[0]}" == "$PY" ]] && [[ "${lines[1]}" == "$PY" ]] \
        || { echo "$PY: report lines for: $output"; return 1; }
}

@test "ONLY_CMDS=python3*: the stuck Python worker of a shell script is interrupted, the shell and its other programs are not" {
    each only_python_workers
}

@test "without a selection the same script's sleep is interrupted too (the test above can fail)" {
    PY=${PYTHONS%% *}
    workers "$PY"
    run guarded LIBGUARD_TIMEOUT=1.5 LIBGUARD_GRACE_PERIOD=5 -- sh "$dir/workers.sh"
    never '^sleep 0$'
}

@test "SKIP_CMDS leaves the named programs out and guards the others" {
    run guarded LIBGUARD_SKIP_CMDS=sleep,sh LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=5 -- \
        sh -c 'sleep 1; echo "sleep $?"; exec "$0" 5000' "$TESTS_BIN/threads"
    [ "$status" -eq 130 ] # threads: ended by SIGINT
    [ "${lines[0]}" = "sleep 0" ]
}

@test "patterns: a name matches any item of the list, globs allowed" {
    for list in 'thr[a-z]ads' 'none,th*' '*eads' 'threads'; do
        run guarded LIBGUARD_ONLY_CMDS="$list" LIBGUARD_TIMEOUT=0.3 -- "$TESTS_BIN/threads" 3000
        [ "$status" -eq 130 ] || { echo "ONLY_CMDS=$list: status $status"; return 1; }
    done
    for list in 'thread' 'threads?' 'T*' 'x,y'; do
        run guarded LIBGUARD_ONLY_CMDS="$list" LIBGUARD_TIMEOUT=0.3 -- "$TESTS_BIN/threads" 600
        [ "$status" -eq 0 ] || { echo "ONLY_CMDS=$list: status $status"; return 1; }
    done
}

@test "argv[0] and the executable both count: exec -a NAME, and a symbolic link" {
    for list in renamed threads; do
        run guarded LIBGUARD_ONLY_CMDS="$list" LIBGUARD_TIMEOUT=0.3 -- \
            bash -c 'exec -a renamed "$0" 3000' "$TESTS_BIN/threads"
        [ "$status" -eq 130 ] || { echo "exec -a renamed, ONLY_CMDS=$list: status $status"; return 1; }
    done
    ln -s "$TESTS_BIN/threads" "$dir/alias"
    for list in alias threads; do
        run guarded LIBGUARD_ONLY_CMDS="$list" LIBGUARD_TIMEOUT=0.3 -- "$dir/alias" 3000
        [ "$status" -eq 130 ] || { echo "alias, ONLY_CMDS=$list: status $status"; return 1; }
    done
    run guarded LIBGUARD_SKIP_CMDS=threads LIBGUARD_TIMEOUT=0.3 -- "$dir/alias" 600
    [ "$status" -eq 0 ]
}

@test "a #! script matches by its own name and by its interpreter's" {
    printf '#!/bin/sh\nwhile :; do :; done\n' >"$dir/job.sh"
    chmod +x "$dir/job.sh"
    for list in job.sh 'job*' sh; do
        run timeout 10 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_ONLY_CMDS="$list" LIBGUARD_TIMEOUT=0.3 "$dir/job.sh"
        [ "$status" -eq 130 ] || { echo "ONLY_CMDS=$list: status $status"; return 1; }
    done
    # Left out: nothing interrupts the loop but timeout's own SIGTERM.
    run timeout 1.5 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_SKIP_CMDS=job.sh LIBGUARD_TIMEOUT=0.3 "$dir/job.sh"
    [ "$status" -eq 124 ]
}

@test "a process left out starts no watchdog thread and writes no report line" {
    PY=${PYTHONS%% *}
    for only in nothing 'python3*'; do
        rm -f "$dir/report.jsonl"
        run guarded LIBGUARD_ONLY_CMDS="$only" LIBGUARD_TIMEOUT=30 "LIBGUARD_REPORT=$dir/report.jsonl" -- \
            "$PY" -c 'import os; print(len(os.listdir("/proc/self/task")))'
        [ "$status" -eq 0 ]
        case $only in
        nothing) [ "$output" -eq 1 ] && [ ! -e "$dir/report.jsonl" ] ;;
        *) [ "$output" -eq 2 ] && [ "$(wc -l <"$dir/report.jsonl")" -eq 1 ] ;;
        esac || { echo "ONLY_CMDS=$only: $output threads"; return 1; }
    done
}

@test "a left-out process passes the settings on, even with LIBGUARD_CHILDREN=none" {
    run guarded LIBGUARD_ONLY_CMDS=print-env LIBGUARD_CHILDREN=none LIBGUARD_TIMEOUT=30 -- \
        sh -c 'exec "$0" --exec /usr/bin/env' "$TESTS_BIN/print-env"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "libguard loaded" ]
    # print-env was selected: what it executes gets nothing.
    [[ "$output" != *LIBGUARD_TIMEOUT=* ]]
    # sh is left out: the program it runs is guarded.
    run guarded LIBGUARD_ONLY_CMDS=threads LIBGUARD_CHILDREN=none LIBGUARD_TIMEOUT=0.3 -- \
        sh -c '"$0" 3000; echo "threads $?"' "$TESTS_BIN/threads"
    [ "$status" -eq 0 ]
    [[ "$output" == *"threads 130"* ]]
}

@test "guards begun through the API follow a fork in a program left out, or with nothing set" {
    for vars in "LIBGUARD_ONLY_CMDS=other LIBGUARD_TIMEOUT=30" "A=1"; do
        run env $vars "$TESTS_BIN/capi-fork" 400
        [ "$status" -eq 0 ] && [[ "$output" == *"child exited 0"* ]] \
            && between "$(awk '$1 == "child" && $2 == "SIGINT" { print $3 }' <<<"$output")" 380 1000 \
                "child SIGINT ($vars)" || return 1
    done
}

@test "a bad setting is reported by each selected process, and by no other" {
    run guarded LIBGUARD_ONLY_CMDS=threads LIBGUARD_TIMEOUT=1x -- \
        sh -c '"$0" 10; echo "threads $?"; "$0" 10; echo "threads $?"' "$TESTS_BIN/threads"
    [ "$status" -eq 0 ]
    [ "$(grep -c "LIBGUARD_TIMEOUT='1x' is not a duration" <<<"$output")" -eq 2 ]
    [ "$(grep -c '^threads 125$' <<<"$output")" -eq 2 ]
}

@test "a bad list is reported by every process, with what would be right" {
    run guarded LIBGUARD_ONLY_CMDS=/bin/sh LIBGUARD_TIMEOUT=1 -- sh -c 'echo ran'
    [ "$status" -eq 125 ]
    [[ "$output" == *"LIBGUARD_ONLY_CMDS='/bin/sh' names a path ('/bin/sh'): give the program's name"* ]]
    run guarded LIBGUARD_SKIP_CMDS='a,,b' LIBGUARD_TIMEOUT=1 -- true
    [ "$status" -eq 125 ]
    [[ "$output" == *"has an empty name"* ]]
    run guarded LIBGUARD_SKIP_CMDS='a, b' LIBGUARD_TIMEOUT=1 -- true
    [ "$status" -eq 125 ]
    [[ "$output" == *"has a blank in or around a name"* ]]
    run guarded LIBGUARD_SKIP_CMDS=a -- true
    [ "$status" -eq 125 ]
    [[ "$output" == *"LIBGUARD_SKIP_CMDS is set but no guard is"* ]]
}

@test "both set: ONLY selects, SKIP takes out of what it selected" {
    run guarded LIBGUARD_ONLY_CMDS='thr*' LIBGUARD_SKIP_CMDS=threads LIBGUARD_TIMEOUT=0.3 -- "$TESTS_BIN/threads" 600
    [ "$status" -eq 0 ]
    run guarded LIBGUARD_ONLY_CMDS='thr*' LIBGUARD_SKIP_CMDS=other LIBGUARD_TIMEOUT=0.3 -- "$TESTS_BIN/threads" 3000
    [ "$status" -eq 130 ]
}

@test "guard --only-cmds: a left-out command is not guarded from outside, the selected program is" {
    export GUARD_LIBRARY=$GUARD_SO
    run "$TESTS_BIN/../tools/guard" -t 0.3 -g 5 --only-cmds=threads -- \
        sh -c 'sleep 1.5; echo "sleep $?"; "$0" 5000; echo "threads $?"' "$TESTS_BIN/threads"
    [ "$status" -eq 124 ]
    [[ "$output" != *"outside mode"* ]]
    [[ "$output" == *"sleep 0"* ]]
    [[ "$output" == *"threads 130"* ]]
}

@test "guard --skip-cmds: a left-out static command is not guarded from outside" {
    export GUARD_LIBRARY=$GUARD_SO
    run "$TESTS_BIN/../tools/guard" -t 0.3 --skip-cmds=hog-static -- "$TESTS_BIN/hog-static" 1 --max 800
    [ "$status" -eq 0 ]
    [[ "$output" == *done* ]]
    run "$TESTS_BIN/../tools/guard" -t 0.3 --skip-cmds=other -- "$TESTS_BIN/hog-static" 1 --max 3000
    [ "$status" -eq 124 ]
}

@test "guard --only-cmds with a path says what is wrong, by the flag's name" {
    run "$TESTS_BIN/../tools/guard" -t 1 --only-cmds=/usr/bin/python3 -- true
    [ "$status" -eq 125 ]
    [[ "$output" == "guard: --only-cmds '/usr/bin/python3' names a path"* ]]
}
