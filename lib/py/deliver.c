/* Delivering an exception in CPython (doc/design.md, "The CPython route",
 * says what each CPython version offers and why this is the way).
 *
 * - route_raise runs on the watchdog: it records the request and hands it
 *   over.  Main thread: it sends the Python signal with tgkill; CPython's C
 *   handler sets the eval breaker and makes blocking calls fail with EINTR,
 *   so our handler runs within milliseconds in busy loops and blocking
 *   calls alike.  When the signal is not ours to use (install.h), a pending
 *   call, which 3.9-3.12 run only once asked for the GIL: a thread asks.
 *   Other threads: a helper thread (helper.c).
 * - The deliverer raises only if the guard that fired is still armed: a
 *   step racing with leaving the guard is dropped.  Holding the GIL, it
 *   logs the Python stacks the watchdog asked for (py/stacks.h).
 *
 * The watchdog never waits for the GIL or for the program; the threads that
 * do own nothing of ours and may be ended or parked by the interpreter at
 * shutdown. */
#include "config.h"
#include "py/deliver.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "py/helper.h"
#include "py/install.h"
#include "py/safepoint.h"
#include "py/stacks.h"
#include "watchdog.h"

_Atomic int lg_py_mode = LG_PY_STARTING;
_Atomic int lg_py_inflight;
bool lg_py_interpreter_main;

/* Set when the interpreter begins to finalise (install.c's atexit callback,
 * which runs after the program's own: atexit is last in, first out). */
static _Atomic bool finalising;

#define N_REQUESTS 64
static struct lg_py_request requests[N_REQUESTS];
static _Atomic unsigned next_request;

static PyObject *base_class, *timeout_class, *memory_class;
static PyObject *reporter;

bool lg_py_finishing(void)
{
    return atomic_load(&finalising) || atomic_load(&lg_exiting)
        || (lg_py.IsFinalizing && lg_py.IsFinalizing());
}

void lg_py_begin_finalising(void)
{
    atomic_store(&finalising, true);
    /* 3.8 crashes in Py_AddPendingCall once finalisation has begun. */
    while (atomic_load(&lg_py_inflight))
        sched_yield(); /* the watchdog never blocks: this is a few µs */
}

bool lg_py_request_current(const struct lg_py_request *r)
{
    struct lg_desc d;
    uint32_t seq;
    return lg_guard_read(r->guard, &d, &seq) && seq == r->seq;
}

/* ---- the exception classes ----------------------------------------------- */

static bool make_classes(void)
{
    if (!base_class
        && !(base_class = lg_py.NewException("libguard.ResiliparseGuardException",
                                             "Resiliparse guard base exception.",
                                             *lg_py.BaseException, NULL)))
        return false;
    if (!timeout_class
        && !(timeout_class = lg_py.NewException("libguard.ExecutionTimeout",
                                                "Execution timeout exception.", base_class, NULL)))
        return false;
    if (!memory_class
        && !(memory_class = lg_py.NewException("libguard.MemoryLimitExceeded",
                                               "Memory limit exceeded exception.", base_class,
                                               NULL)))
        return false;
    return true;
}

PyObject *lg_py_class(int kind)
{
    if (!make_classes())
        return NULL;
    return kind == LG_KIND_MEMORY ? memory_class : timeout_class;
}

bool lg_py_classes(PyObject **base, PyObject **timeout, PyObject **memory)
{
    if (!make_classes())
        return false;
    *base = base_class;
    *timeout = timeout_class;
    *memory = memory_class;
    return true;
}

/* ---- reporting, when the package reports through logging ---------------- */

void lg_py_set_reporter(PyObject *report)
{
    lg_py.IncRef(report);
    reporter = report;
}

void lg_py_report(const struct lg_py_request *r)
{
    if (!reporter)
        return;
    PyObject *type, *value, *tb;
    lg_py.Fetch(&type, &value, &tb);
    PyObject *done = lg_py.CallFunction(reporter, "iisi", r->kind, r->step, r->message,
                                        (int)r->tid);
    if (done)
        lg_py.DecRef(done);
    lg_py.Clear(); /* a report that fails is dropped */
    lg_py.Restore(type, value, tb);
}

/* ---- the main thread, GIL held --------------------------------------------- */

/* The kind of the exception due to the main thread (its guard still
 * armed), or -1.  Main thread, GIL held. */
static int kind_due_main(void)
{
    pid_t me = getpid();
    for (int i = 0; i < N_REQUESTS; i++) {
        struct lg_py_request *r = &requests[i];
        if (atomic_load(&r->state) == LG_PY_READY && r->tid == me && lg_py_request_current(r))
            return r->kind;
    }
    return -1;
}

static bool due_main(void)
{
    return !lg_py_finishing() && kind_due_main() >= 0;
}

/* Raise the exception due to the main thread, if any: -1 with it set,
 * else 0.  Main thread, GIL held. */
static int raise_due_main(void)
{
    pid_t me = getpid();
    struct lg_py_request due;
    bool found = false;
    for (int i = 0; i < N_REQUESTS; i++) {
        struct lg_py_request *r = &requests[i];
        int expected = LG_PY_READY;
        /* READY (acquire) first: then tid is the one written before it */
        if (atomic_load(&r->state) != LG_PY_READY || r->tid != me
            || !atomic_compare_exchange_strong(&r->state, &expected, LG_PY_TAKEN))
            continue;
        if (!found && lg_py_request_current(r)) {
            due.kind = r->kind;
            due.step = r->step;
            due.tid = r->tid;
            memcpy(due.message, r->message, sizeof due.message);
            found = true;
        }
        atomic_store(&r->state, LG_PY_FREE);
    }
    if (!found)
        return 0; /* withdrawn, already delivered, or its guard was left */
    PyObject *cls = lg_py_class(due.kind);
    if (!cls)
        return -1; /* the reason it could not be made (MemoryError) is raised */
    lg_py_write_due_stacks(me); /* where the exception finds it; GIL held */
    lg_py_report(&due);
    lg_py.SetString(cls, due.message);
    return -1;
}
static const struct lg_safepoint_ops main_ops = { raise_due_main, due_main };

int lg_py_deliver_main(void)
{
    if (lg_py_finishing())
        return 0;
    /* No Python code running: finalisation runs the last pending calls
     * (_Py_FinishPendingCalls, before atexit) and turns an exception there
     * into a SystemError.  Nothing could catch it anyway. */
    if (!lg_py.GetFrame())
        return 0;
    /* Held back while the thread is in protected code (safepoint.h). */
    int kind = kind_due_main();
    if (kind >= 0 && lg_safepoint_defer(&main_ops, kind == LG_KIND_MEMORY
                                        ? "MemoryLimitExceeded" : "ExecutionTimeout"))
        return 0;
    return raise_due_main();
}

static int on_pending_call(void *arg)
{
    (void)arg;
    return lg_py_deliver_main();
}

/* 3.9-3.12 do not set the main thread's eval breaker for a pending call
 * added by another thread (gh-95820); asking for the GIL does. */
static void *nudge(void *arg)
{
    (void)arg;
    if (lg_py_finishing())
        return NULL;
    int state = lg_py.GILStateEnsure(); /* may end or park this thread at exit */
    lg_py.GILStateRelease(state);
    return NULL;
}

static bool queue_pending_call(void)
{
    if (!lg_py_pending_calls_safe())
        return false;
    atomic_fetch_add(&lg_py_inflight, 1);
    bool queued = !lg_py_finishing() && lg_py.AddPendingCall(on_pending_call, NULL) == 0;
    atomic_fetch_sub(&lg_py_inflight, 1);
    if (queued && lg_py_minor >= 9 && lg_py_minor <= 12 && !lg_py_start_thread(nudge, NULL))
        lg_log("could not start a thread to wake the interpreter: the exception waits "
               "for the program's next blocking call or thread switch");
    return queued;
}

/* ---- the route, on the watchdog thread ------------------------------------ */

static bool route_available(const struct lg_desc *d)
{
    int m = atomic_load(&lg_py_mode);
    if ((pid_t)d->tid != getpid()) /* a helper raises there, once set up */
        return (m == LG_PY_SIGNAL || m == LG_PY_PENDING) && d->thread;
    if (m == LG_PY_OFF)
        return false;
    /* The python executable: a step while it starts (even before
     * Py_IsInitialized) waits for install; a program embedding Python
     * never gets there (no cpython.run_* event) and gets the signals. */
    return m != LG_PY_STARTING || lg_py_interpreter_main;
}

static struct lg_py_request *claim_request(void)
{
    for (int tries = 0; tries < N_REQUESTS; tries++) {
        struct lg_py_request *r = &requests[atomic_fetch_add(&next_request, 1) % N_REQUESTS];
        int expected = LG_PY_FREE;
        if (atomic_compare_exchange_strong(&r->state, &expected, LG_PY_WRITING))
            return r;
    }
    return NULL; /* 64 undelivered exceptions: the signal steps follow */
}

static bool take_back(struct lg_py_request *r)
{
    int expected = LG_PY_READY;
    return atomic_compare_exchange_strong(&r->state, &expected, LG_PY_FREE);
}

static bool route_raise(struct lg_guard *g, const struct lg_desc *d, int step,
                        const char *message)
{
    if (lg_py_finishing()) {
        lg_log("the Python interpreter is shutting down: no exception raised");
        return false;
    }
    /* The incarnation that fired: its thread leaving it (now or later)
     * takes the exception back.  Already left: nothing to raise. */
    struct lg_desc now;
    uint32_t seq;
    if (!lg_guard_read(g, &now, &seq) || now.start_ns != d->start_ns || now.tid != d->tid
        || now.kind != d->kind)
        return true;
    struct lg_py_request *r = claim_request();
    if (!r)
        return false;
    r->guard = g;
    r->seq = seq;
    r->kind = (int)d->kind;
    r->step = step;
    r->tid = (pid_t)d->tid;
    r->ident = (unsigned long)d->thread;
    snprintf(r->message, sizeof r->message, "%s", message);
    atomic_store(&r->state, LG_PY_READY);

    if (r->tid != getpid()) {
        if (lg_py_helper_start(r))
            return true;
        take_back(r);
        return false;
    }
    switch (atomic_load(&lg_py_mode)) {
    case LG_PY_STARTING:
        lg_log("Python is still starting up: the exception is raised once it has");
        return true; /* lg_py_install delivers it */
    case LG_PY_SIGNAL:
        if (lg_py_signal_usable(r->tid)) {
            if (syscall(SYS_tgkill, getpid(), r->tid, lg_py_signal) == 0)
                return true;
            take_back(r);
            return false;
        }
        /* fall through */
    default:
        if (queue_pending_call())
            return true;
        take_back(r);
        return false;
    }
}

/* The next step supersedes an exception not yet delivered. */
static void route_withdraw(struct lg_guard *g, const struct lg_desc *d)
{
    (void)d;
    for (int i = 0; i < N_REQUESTS; i++)
        if (atomic_load(&requests[i].state) == LG_PY_READY && requests[i].guard == g)
            take_back(&requests[i]);
}

const struct lg_route lg_py_route = {
    .available = route_available,
    .raise = route_raise,
    .withdraw = route_withdraw,
};

bool lg_py_main_has_due(void)
{
    for (int i = 0; i < N_REQUESTS; i++)
        if (atomic_load(&requests[i].state) == LG_PY_READY && requests[i].tid == getpid())
            return true;
    return false;
}

void lg_py_deliver_in_child(void)
{
    /* The watchdog that was mid-call is not in the child; nor are its steps. */
    atomic_store(&lg_py_inflight, 0);
    for (int i = 0; i < N_REQUESTS; i++)
        atomic_store(&requests[i].state, LG_PY_FREE);
}

/* For install: a step that came while Python was starting (main thread). */
void lg_py_deliver_started(bool signal_ours)
{
    if (!lg_py_main_has_due())
        return;
    if (signal_ours)
        syscall(SYS_tgkill, getpid(), getpid(), lg_py_signal);
    else
        lg_py.AddPendingCall(on_pending_call, NULL); /* from the main thread: prompt */
}
