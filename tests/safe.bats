#!/usr/bin/env bats
# Catch it and carry on, safely: an ExecutionTimeout caught by the program
# never leaves a lock of the standard library held or released twice, on
# every CPython 3.8-3.13 present.  Hundreds of short guards per scenario,
# each ending in an exception the program catches; after each, the scenario
# checks its structures (tests/python/safe.py prints the counts).  Through
# the package (time_guard, interrupt_type=exception) and, for one scenario
# per interpreter, through the shim alone.  Figures (delays) are bench/'s.

load helpers
load pythons

bats_require_minimum_version 1.5.0

BATS_TEST_TIMEOUT=${BATS_PYTHON_TEST_TIMEOUT:-300}

setup_file() { build_packages; }

setup() { setup_package_suite; }

# safe ROUTE SCENARIO N [VAR=VALUE...]: run safe.py with $PY, bounded.
# 500 deliveries per scenario; 100 in a sanitizer build (for memory errors,
# at a tenth of the speed: CI's time bound).
N=$(( ${GUARD_SANITIZED:-0} ? 100 : 500 ))

safe() {
    local route=$1 name=$2 n=$3
    shift 3
    if [ "$route" = shim ]; then
        # the shim's own route: no package on the path, no log; the first
        # step (due during start-up) taken before safe.py starts.
        run --separate-stderr timeout -k 5 120 env LD_PRELOAD="$GUARD_PRELOAD" \
            LIBGUARD_TIMEOUT=1ms LIBGUARD_GRACE_PERIOD=30 LIBGUARD_INTERRUPT=exception \
            LIBGUARD_LOG=none SAFE_TIMEOUT_S=0.001 "$@" \
            "$PY" "$TESTS_SRC/python/after_first_step.py" "$TESTS_SRC/python/safe.py" shim "$name" "$n"
    else
        run --separate-stderr timeout -k 5 120 env PYTHONPATH="$(pkg_dir "$PY")" "$@" \
            "$PY" "$TESTS_SRC/python/safe.py" "$route" "$name" "$n"
    fi
    output="$output${stderr:+
$stderr}"
}

# Every one of the N exceptions arrived, none outside its try.
all_delivered() {
    status_is 0 && says " delivered=$1 lost=0 escaped=0 "
}

condition_pkg() { safe pkg condition $N && all_delivered $N && says "locks_left_held=0 works=True"; }
@test "Condition with its own Lock: 500 exceptions caught, the lock never left held (package)" {
    each condition_pkg
}

queue_pkg() {
    safe pkg queue $N && all_delivered $N && says "broken=0 runtime_errors=0 works=True"
}
@test "Queue(maxsize=5), 3 producers, main thread in get(): 500 exceptions, the queue keeps working" {
    each queue_pkg
}

logging_pkg() {
    safe pkg logging $N && all_delivered $N && says "handler_lock_left_owned=0 works=True"
}
@test "logging with a handler shared by a worker thread: 500 exceptions, the worker keeps logging" {
    each logging_pkg
}

condition_shim() {
    safe shim condition $N && all_delivered $N && says "locks_left_held=0 works=True"
}
@test "the shim alone (LD_PRELOAD, no guard in the program): the Condition's lock never left held" {
    each condition_shim
}

# The wait itself is cut short: the exception comes long before the
# queue.get's own timeout (5 s) would end it.
blocked_pkg() { safe pkg blocked 100 && all_delivered 100 && says "mutex_left_held=0"; }
@test "a main thread blocked in Queue.get() still gets its exception, and the mutex is free after" {
    each blocked_pkg
}

bounded_pkg() {
    safe pkg bounded 20 LIBGUARD_LOG=stderr && all_delivered 20 \
        && says "ExecutionTimeout forced inside protected code after [0-9.]+ ms \(__main__\.spin\): the deferral bound"
}
@test "a loop in a function marked @libguard.protected still gets the exception, and the log says forced" {
    each bounded_pkg
}

# The rule lets the exception land only at a call: a loop that calls
# nothing is held back to the bound, and the log does not blame protected
# code (there is none).
callfree_shim() {
    run --separate-stderr timeout -k 5 60 env LD_PRELOAD="$GUARD_PRELOAD" \
        LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=30 LIBGUARD_INTERRUPT=exception "$PY" -c '
try:
    while True:
        pass
except BaseException as e:
    print("caught", type(e).__name__)'
    output="$output${stderr:+
$stderr}"
    status_is 0 && says "caught ExecutionTimeout" \
        && says "ExecutionTimeout forced after [0-9.]+ ms without reaching a call \(__main__\.<module>\): the deferral bound" \
        && never "protected"
}
@test "a loop that calls nothing gets the exception at the deferral bound; the log does not say protected" {
    each callfree_shim
}

user_pkg() { safe pkg user 300 && all_delivered 300 && says "sections_cut=0"; }
@test "@libguard.protected and libguard.deferred(): the program's own sections are never cut in two" {
    each user_pkg
}

thread_pkg() { safe pkg thread $N && all_delivered $N && says "locks_left_held=0"; }
@test "a guard in a worker thread (the helper's route): 500 exceptions, the Condition's lock never left held" {
    each thread_pkg
}

# The shim learns CPython's call opcodes from a table in C, one row per
# version: each interpreter's `dis` must agree with it, so a new release
# that renumbers them fails here.
opcodes_match() {
    local minor expected
    minor=$("$PY" -c 'import sys; print(sys.version_info[1])')
    expected=$("$PY" - "$minor" <<'PYEOF'
import dis, sys
minor = int(sys.argv[1])
kinds = {}
for name, op in dis.opmap.items():
    if op > 255:
        continue  # pseudo-instructions (3.12+): never in co_code
    if name.startswith('CALL') and 'INTRINSIC' not in name and name != 'CALL_FINALLY':
        kinds[op] = 'CALL'
    elif name.startswith('PRECALL'):
        kinds[op] = 'PRECALL'
    elif name in ('CACHE', 'EXTENDED_ARG'):
        kinds[op] = name
    elif name in ('LOAD_FAST', 'LOAD_FAST_CHECK'):
        kinds[op] = 'LOAD_FAST'
    elif name == 'LOAD_METHOD' or (name == 'LOAD_ATTR' and minor <= 11):
        kinds[op] = 'LOAD_NAME'
    elif name == 'LOAD_ATTR':
        kinds[op] = 'LOAD_NAME_HI'
for op in sorted(kinds):
    print(kinds[op], op)
PYEOF
    )
    run "$TESTS_BIN/opcode-table" "$minor"
    [ "$status" -eq 0 ] && [ "$output" = "$expected" ] || {
        echo "$PY: libguard's opcode table (lib/py/opcodes.c) differs from dis.opmap:"
        diff <(echo "$expected") <(echo "$output")
        return 1
    }
}
@test "the table of call opcodes in C agrees with dis on every interpreter" {
    each opcodes_match
}

# Start-up under the shim imports nothing the program did not: importing
# threading first changes programs (gevent's monkey-patching, threading's
# shutdown), dis is a cost nobody asked for.
imported_at_start() {
    local code='import sys; print("threading" in sys.modules, "dis" in sys.modules)' plain
    plain=$(timeout 60 "$PY" -c "$code") || return 1
    run timeout 60 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=60 \
        LIBGUARD_INTERRUPT=exception "$PY" -c "$code"
    status_is 0 && [ "$output" = "$plain" ] || {
        echo "$PY: under the shim '$output', without it '$plain'"
        return 1
    }
}
@test "under the shim with a guard armed, start-up imports neither threading nor dis" {
    each imported_at_start
}

# The deferral's tracer on 3.12+ is installed on every thread
# (PyEval_SetTraceAllThreads): the program's own tracers in the other
# threads (coverage, a debugger) must be theirs again after the delivery.
tracers_pkg() {
    safe pkg tracers 20 LIBGUARD_LOG=stderr && all_delivered 20 \
        && says "forced inside protected code" \
        && says "main_tracer_kept=True observer_tracer_kept=True"
}
@test "a deferral in a worker thread leaves the program's tracers in the other threads in place" {
    each tracers_pkg
}

# The wait sites are read from the threading the program imported, when a
# deferral first needs them: one that comes while threading is still being
# imported (a stub in sys.modules here, as during its import) must not end
# the search.  Later, a Thread.join is still cut short at the step, not
# when the joined thread ends 20 s later.
partial_threading() {
    local script="$BATS_TEST_TMPDIR/partial.py"
    cat >"$script" <<'PYEOF'
import ctypes, sys, time, types
progress = ctypes.CDLL(None).guard_progress
class Stub:
    def __exit__(self, *exc):  # protected by its name: the exception waits here
        t0 = time.monotonic()
        while time.monotonic() - t0 < 20:
            len(())
sys.modules["threading"] = types.ModuleType("threading")  # as while it is imported
progress()
try:
    Stub().__exit__()
except BaseException as e:
    print("first", type(e).__name__)
del sys.modules["threading"]
import threading
t = threading.Thread(target=time.sleep, args=(20,), daemon=True)
t.start()
progress()
t0 = time.monotonic()
try:
    t.join()
    print("join returned")
except BaseException as e:
    print("second", type(e).__name__, "%d" % (time.monotonic() - t0))
PYEOF
    run timeout -k 5 60 env LD_PRELOAD="$GUARD_PRELOAD" LIBGUARD_TIMEOUT=2 \
        LIBGUARD_GRACE_PERIOD=60 LIBGUARD_INTERRUPT=exception LIBGUARD_LOG=none "$PY" "$script"
    status_is 0 && says "^first ExecutionTimeout$" && says "^second ExecutionTimeout [0-9]+$" &&
        between "$(sed -n 's/^second ExecutionTimeout //p' <<<"$output")" 1 9 "$PY: join cut short after (s)"
}
@test "a first deferral while threading is being imported: a later Thread.join is still cut short at the step" {
    each partial_threading
}
