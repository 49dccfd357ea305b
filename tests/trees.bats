#!/usr/bin/env bats
# Process trees with libguard in the environment of the whole tree: the
# processes that only wait for guarded children (shells, init, timeout,
# xargs, make, Python's subprocess) are left alone; each child has its own
# guard; a stuck child alone gets the ladder.  And the container recipe of
# examples/container, run as PID 1 of its own PID namespace.
load helpers
load pythons

setup() {
    setup_guard_env
    STEP=$TESTS_BIN/step
    # Steps report progress for 1.2 s: more than twice the timeout, longer
    # than the whole ladder (0.5 + 2 x 0.25 s), so a parent that is not
    # left alone gets its steps while it waits.
    TREE=("LD_PRELOAD=$GUARD_PRELOAD" LIBGUARD_TIMEOUT=0.5 LIBGUARD_GRACE_PERIOD=0.25)
}

# tree COMMAND...: run COMMAND, with libguard in the environment of the
# whole tree, within 30 s.
tree() {
    run timeout 30 env "${TREE[@]}" "$@"
}

# The pids that got a first step, and the pid step NAME printed.
laddered() {
    printf '%s\n' "$output" | sed -n 's/^libguard\[\([0-9]*\)\]: no progress for .*step 1 of 3.*/\1/p' \
        | sort -u | tr '\n' ' '
}
started() { printf '%s\n' "$output" | awk -v n="$1" '$1 == n && $2 == "started" { print $3 }'; }

# Only step NAME got the ladder.
only_laddered() {
    local pid
    pid=$(started "$1")
    [ -n "$pid" ] && [ "$(laddered)" = "$pid " ] || {
        echo "expected the ladder for $1 ($pid) alone, got it for: $(laddered)"
        echo "$output"
        return 1
    }
}
no_ladder() { [ -z "$(laddered)" ] || { echo "ladder for: $(laddered)"; echo "$output"; return 1; }; }
done_() { grep -qx "$1 done" <<<"$output" || { echo "no '$1 done' in:"; echo "$output"; return 1; }; }
status_is() { [ "$status" -eq "$1" ] || { echo "status $status, expected $1:"; echo "$output"; return 1; }; }

# ---- shells ----------------------------------------------------------------

check_shell() {
    local sh=$1
    tree "$sh" -c "$STEP a 1200; $STEP b 1200"
    status_is 0 && done_ a && done_ b && no_ladder || return 1
    tree "$sh" -c "$STEP a stuck; echo \"a \$?\"; $STEP b 1200"
    status_is 0 && grep -qx 'a 130' <<<"$output" && done_ b && only_laddered a
}

@test "dash -c 'step; step': the shell waits, only a stuck step is interrupted" {
    check_shell dash
}

@test "bash -c 'step; step': the shell waits, only a stuck step is interrupted" {
    check_shell bash
}

# unshare(1) with a PID namespace needs CAP_SYS_ADMIN (root, or a user
# namespace where they are allowed).
need_pid_namespace() {
    local why
    why=$(unshare --pid --fork --mount-proc true 2>&1) \
        || skip "cannot make a PID namespace here (unshare: ${why:-failed})"
}

@test "sh as PID 1 of its own PID namespace waits for its steps" {
    need_pid_namespace
    run timeout 30 unshare --pid --fork --mount-proc env "${TREE[@]}" \
        sh -c "echo \"pid \$\$\"; $STEP a 1200; $STEP b 1200"
    status_is 0 && grep -qx 'pid 1' <<<"$output" && done_ a && done_ b && no_ladder
    run timeout 30 unshare --pid --fork --mount-proc env "${TREE[@]}" \
        sh -c "$STEP a stuck; echo \"a \$?\"; $STEP b 1200"
    status_is 0 && grep -qx 'a 130' <<<"$output" && done_ b && only_laddered a
}

@test "tini -- sh -c 'step; step': neither tini nor the shell is interrupted" {
    command -v tini >/dev/null || skip "no tini (Debian package tini; ./bootstrap --install-deps)"
    # -s: a subreaper, as tini is when it is not PID 1 (no warning about it)
    tree tini -s -- sh -c "$STEP a 1200; $STEP b 1200"
    status_is 0 && done_ a && done_ b && no_ladder
    tree tini -s -- sh -c "$STEP a stuck; echo \"a \$?\"; $STEP b 1200"
    status_is 0 && grep -qx 'a 130' <<<"$output" && done_ b && only_laddered a
}

# ---- supervisors -------------------------------------------------------------

@test "timeout 60 step: timeout(1) waits in sigsuspend and is left alone" {
    tree timeout 60 "$STEP" a 1200
    status_is 0 && done_ a && no_ladder
    tree timeout 60 "$STEP" a stuck
    status_is 130 && only_laddered a   # the step's SIGINT, passed on by timeout
}

@test "xargs -P2 with 4 inputs: every job runs; a stuck one alone is interrupted" {
    run timeout 30 env "${TREE[@]}" sh -c "printf 'a\nb\nc\nd\n' | xargs -P2 -I{} $STEP {} 1200"
    status_is 0 && done_ a && done_ b && done_ c && done_ d && no_ladder
    # xargs stops starting jobs once one is killed by a signal (status 125),
    # and waits for those running: b, which runs beside the stuck a, finishes.
    run timeout 30 env "${TREE[@]}" sh -c "printf 'a stuck\nb 1200\n' | xargs -P2 -L1 $STEP"
    status_is 125 && done_ b && only_laddered a
}

@test "make -j2 with 4 targets: make waits (wait4, and pselect6 for a job slot)" {
    local dir=$BATS_TEST_TMPDIR
    printf 'all: a b c d\na b c d:\n\t%s $@ 1200\n' "$STEP" > "$dir/Makefile"
    tree make -s -C "$dir" -j2
    status_is 0 && done_ a && done_ b && done_ c && done_ d && no_ladder
    printf 'all: a b c d\na c d:\n\t%s $@ 1200\nb:\n\t%s $@ stuck\n' "$STEP" "$STEP" > "$dir/Makefile"
    tree make -s -k -C "$dir" -j2
    status_is 2 && done_ a && done_ c && done_ d && only_laddered b
}

# One run per interpreter: step a is stuck, then b progresses for 1.5 s; the
# interpreter waits through both (2.5 s, far past its timeout).  A timeout
# of 1 s, and progress reported before each run, so that a slow start-up
# of the interpreter (a loaded machine) is not what gets interrupted.
check_python_parent() {
    run timeout 30 env "${TREE[@]}" LIBGUARD_TIMEOUT=1 LIBGUARD_GRACE_PERIOD=0.5 "$PY" -c '
import ctypes, os, subprocess, sys
progress = ctypes.CDLL(None).guard_progress  # exported by the preloaded shim
# The steps time out sooner than the parent: the stuck one ends well before
# the parent'"'"'s deadline, and the other outlasts it, waited for.
steps = dict(os.environ, LIBGUARD_TIMEOUT="0.6")
for name, how in ("a", "stuck"), ("b", "1500"):
    progress()
    print(name, "returned", subprocess.run([sys.argv[1], name, how], env=steps).returncode, flush=True)
' "$STEP"
    status_is 0 && grep -qx 'a returned -2' <<<"$output" && done_ b \
        && grep -qx 'b returned 0' <<<"$output" && only_laddered a
}

@test "Python's subprocess.run: the interpreter waits, only a stuck step is interrupted" {
    find_pythons
    each check_python_parent
}

# Equal timeouts (1 s for both, so that a slow start-up of the interpreter
# on a loaded machine is not what gets interrupted): the parent reports
# progress just after its stuck child's guard started (it has read the
# child's first line), so the child's deadline comes a few milliseconds
# before the parent's; the child's SIGINT ends it, the parent reaps it and
# sleeps, blocked on no child, for half a timeout.  The wait, seen before
# the parent's deadline, counts to its end: the parent gets no step.  Two
# rounds per interpreter.
check_python_parent_equal_timeouts() {
    run timeout 60 env "${TREE[@]}" LIBGUARD_TIMEOUT=1 "$PY" -c '
import ctypes, subprocess, sys, time
progress = ctypes.CDLL(None).guard_progress  # exported by the preloaded shim
for i in range(2):
    child = subprocess.Popen([sys.argv[1], "a%d" % i, "stuck"], stdout=subprocess.PIPE)
    print(child.stdout.readline().decode().strip(), flush=True)  # "aI started PID"
    progress()
    print("a%d returned" % i, child.wait(), flush=True)
    time.sleep(0.5)
print("parent done", flush=True)
' "$STEP"
    local i expected
    for i in 0 1; do
        grep -qx "a$i returned -2" <<<"$output" || { echo "$PY: no 'a$i returned -2' in:"; echo "$output"; return 1; }
    done
    expected=$(for i in 0 1; do started "a$i"; done | sort -u | tr '\n' ' ')
    status_is 0 && grep -qx 'parent done' <<<"$output" && [ "$(laddered)" = "$expected" ] || {
        echo "$PY: expected the ladder for the children ($expected) alone, got it for: $(laddered)"
        echo "$output"
        return 1
    }
}

@test "equal timeouts: a stuck child alone gets the ladder, not its waiting Python parent" {
    find_pythons
    each check_python_parent_equal_timeouts
}

@test "the parent's clock starts again when its wait ends, not before" {
    # The parent reports progress for 0.1 s, forks and waits for its child,
    # which spins 1.2 s (its own guard's SIGINT at 0.5 s; it handles it and
    # goes on); then the parent spins without progress.  Its SIGINT comes one
    # timeout after the wait (up to a quarter later), never during it.
    run timeout 30 env "${TREE[@]}" LIBGUARD_GRACE_PERIOD=5 "$TESTS_BIN/forker" 100 1200 1500
    [ "$status" -eq 0 ]
    child=$(printf '%s\n' "$output" | awk '$1 == "child" && $2 == "SIGINT" { print $3; exit }')
    waited=$(printf '%s\n' "$output" | awk '$1 == "parent" && $2 == "waited" { print $3 }')
    parent=$(printf '%s\n' "$output" | awk '$1 == "parent" && $2 == "SIGINT" { print $3; exit }')
    between "$child" 480 950 "child SIGINT (ms after fork)"
    between "$waited" 1280 2000 "end of the wait (ms after start)"
    between "$((parent - waited))" 480 1000 "parent SIGINT (ms after the wait)"
}

# ---- what still interrupts the parent --------------------------------------

@test "a parent blocked reading its child's output is interrupted as before" {
    tree sh -c "echo \"sh started \$\$\"; x=\$($STEP a 1200); echo \"a \$?\""
    [ "$status" -ne 0 ] && only_laddered sh
}

@test "a parent waiting for a child libguard cannot enter (static) is interrupted as before" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer build has no static binaries"
    tree sh -c "echo \"sh started \$\$\"; $STEP-static a 1200; echo \"a \$?\""
    [ "$status" -ne 0 ] && only_laddered sh
}

@test "LIBGUARD_CHILDREN=none: the parent's guard is the only one, and fires while it waits" {
    tree LIBGUARD_CHILDREN=none sh -c "echo \"sh started \$\$\"; $STEP a 1200; echo \"a \$?\""
    [ "$status" -ne 0 ] && only_laddered sh
}

# ---- the container recipe -------------------------------------------------------

# The ENV settings of examples/container/Dockerfile (LD_PRELOAD and
# LIBGUARD_*), one per line, with the limits made short for a test.
recipe_env() {
    awk '/^ENV / { on = 1 } on { print; if ($0 !~ /\\$/) on = 0 }' \
        "$TESTS_SRC/../examples/container/Dockerfile" \
        | tr ' \\' '\n\n' | grep -E '^(LD_PRELOAD|LIBGUARD_[A-Z_]+)=' \
        | sed -e "s|^LD_PRELOAD=.*|LD_PRELOAD=$GUARD_PRELOAD|" \
              -e 's|^LIBGUARD_TIMEOUT=.*|LIBGUARD_TIMEOUT=0.5|' \
              -e 's|^LIBGUARD_GRACE_PERIOD=.*|LIBGUARD_GRACE_PERIOD=0.25|' \
              -e "s|^LIBGUARD_REPORT=.*|LIBGUARD_REPORT=$BATS_TEST_TMPDIR/report.jsonl|"
}

# entrypoint STEP1 STEP2: run the recipe's entrypoint as PID 1 of a new PID
# namespace, with the recipe's environment.
entrypoint() {
    local vars=()
    mapfile -t vars < <(recipe_env)
    run timeout 30 unshare --pid --fork --mount-proc env -i PATH="$PATH" "${vars[@]}" \
        STEP1="$1" STEP2="$2" "$TESTS_SRC/../examples/container/entrypoint.sh"
}

@test "container recipe: the Dockerfile sets the guard for the whole tree" {
    recipe_env > "$BATS_TEST_TMPDIR/env"
    grep -qx "LD_PRELOAD=$GUARD_PRELOAD" "$BATS_TEST_TMPDIR/env"
    grep -qx 'LIBGUARD_TIMEOUT=0.5' "$BATS_TEST_TMPDIR/env"
    grep -q '^LIBGUARD_MAX_MEMORY=' "$BATS_TEST_TMPDIR/env"
}

@test "container recipe: both steps progress, both finish, status 0" {
    need_pid_namespace
    entrypoint "$STEP one 1200" "$STEP two 1200"
    status_is 0 && done_ one && done_ two && no_ladder
}

@test "container recipe: a stuck step alone is interrupted, the job carries on, the status names it" {
    need_pid_namespace
    entrypoint "$STEP one stuck" "$STEP two 1200"
    status_is 1 && only_laddered one && done_ two
    [[ "$output" == *"step 1 failed with status 130 (SIGINT: its guard interrupted it)"* ]]
    entrypoint "$STEP one 1200" "$STEP two stuck"
    status_is 2 && only_laddered two && done_ one
}
