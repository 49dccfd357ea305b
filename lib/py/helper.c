/* Other threads' exceptions, and hurrying the GIL.  See helper.h. */
#include "config.h"
#include "py/helper.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "py/safepoint.h"
#include "py/stacks.h"
#include "registry.h"

bool lg_py_start_thread(void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_t thread;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the helper takes no signal */
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    bool started = pthread_create(&thread, &attr, fn, arg) == 0;
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return started;
}

/* ---- hurrying the GIL ------------------------------------------------------
 * A thread waiting for the GIL asks its holder to drop it only after the
 * switch interval (sys.getswitchinterval(), 5 ms by default), so a helper
 * would raise in a busy thread 5 ms late.  While a helper waits, and
 * until it has raised, the interval is HURRY_US; the first waiter saves
 * the program's value and the last puts it back, unless the program set
 * another meanwhile.  Only helpers take this lock.  3.12 moved the GIL
 * into the interpreter, and its setter needs the GIL (it finds the
 * interpreter through the thread state), so there we use the address of
 * the interval the package gave us. */
#define HURRY_US 100
static pthread_mutex_t hurry_lock = PTHREAD_MUTEX_INITIALIZER;
static int hurry_waiters;
static unsigned long hurry_saved_us;
static unsigned long *_Atomic interval_at; /* &interp->ceval.gil->interval, 3.12+ */

void lg_py_helper_set_interval(unsigned long *interval_us)
{
    atomic_store(&interval_at, interval_us);
}

static bool can_hurry(void)
{
    return atomic_load(&interval_at) || (lg_py.GetSwitchInterval && lg_py.SetSwitchInterval);
}

static unsigned long interval_get(void)
{
    unsigned long *at = atomic_load(&interval_at);
    return at ? *(volatile unsigned long *)at : lg_py.GetSwitchInterval();
}

static void interval_set(unsigned long us)
{
    unsigned long *at = atomic_load(&interval_at);
    if (at)
        *(volatile unsigned long *)at = us;
    else
        lg_py.SetSwitchInterval(us);
}

static void hurry_gil(void)
{
    if (!can_hurry())
        return;
    pthread_mutex_lock(&hurry_lock);
    if (hurry_waiters++ == 0) {
        hurry_saved_us = interval_get();
        if (hurry_saved_us > HURRY_US)
            interval_set(HURRY_US);
    }
    pthread_mutex_unlock(&hurry_lock);
}

static void unhurry_gil(void)
{
    if (!can_hurry())
        return;
    pthread_mutex_lock(&hurry_lock);
    if (--hurry_waiters == 0 && hurry_saved_us > HURRY_US && interval_get() == HURRY_US)
        interval_set(hurry_saved_us);
    pthread_mutex_unlock(&hurry_lock);
}

/* ---- raising ------------------------------------------------------------------ */

/* Guard slots for which a helper set an exception in their thread; read
 * and written with the GIL held. */
static bool async_set[LG_MAX_GUARDS];

/* Per guard slot, GIL held: a helper is reporting one of its steps; how
 * many of its steps helpers have raised (or handed to the tracer). */
static bool reporting[LG_MAX_GUARDS];
static unsigned raised[LG_MAX_GUARDS];

/* The exception a helper held back (safepoint.h), raised by the target's
 * tracer at its next safe point (GIL held, on the target). */
static struct lg_py_request deferred;

static bool deferred_due(void)
{
    return !lg_py_finishing() && lg_py_request_current(&deferred);
}

static int raise_deferred(void)
{
    if (!deferred_due())
        return 0;
    PyObject *cls = lg_py_class(deferred.kind);
    if (!cls)
        return -1;
    lg_py_write_due_stacks(deferred.tid); /* the GIL is ours: no frame moves */
    lg_py.SetString(cls, deferred.message); /* reported as it was deferred */
    return -1;
}
static const struct lg_safepoint_ops thread_ops = { raise_deferred, deferred_due };

static void copy_request(struct lg_py_request *to, const struct lg_py_request *from)
{
    to->guard = from->guard;
    to->seq = from->seq;
    to->kind = from->kind;
    to->step = from->step;
    to->tid = from->tid;
    to->ident = from->ident;
    memcpy(to->message, from->message, sizeof to->message);
}

/* Hold r back if its thread is in protected code: true when deferred. */
static bool defer(const struct lg_py_request *r)
{
    struct lg_py_request before;
    copy_request(&before, &deferred);
    copy_request(&deferred, r);
    if (lg_safepoint_defer_thread(r->ident, &thread_ops, r->kind == LG_KIND_MEMORY
                                  ? "MemoryLimitExceeded" : "ExecutionTimeout"))
        return true;
    copy_request(&deferred, &before); /* perhaps another thread's, still deferred */
    return false;
}

void lg_py_raise_in_thread(struct lg_py_request *r)
{
    PyObject *cls = NULL;
    if (!lg_py_finishing() && lg_py_request_current(r) && !(cls = lg_py_class(r->kind)))
        lg_py.Clear();
    if (cls) {
        size_t slot = (size_t)(r->guard - lg_slots);
        unsigned raised_before = raised[slot];
        /* Reported first: the report is Python code, during which other
         * threads run, and reported after the raise, the target could catch
         * its exception and go on (leave a catch_warnings block, read the
         * log) before the record of it exists.  A report that does not
         * return (the program's log handler writes to a pipe nobody reads)
         * must not stop the guard: its later steps are raised unreported. */
        if (!reporting[slot]) {
            reporting[slot] = true;
            lg_py_report(r);
            reporting[slot] = false;
        }
        /* Then, with the GIL held throughout: is the guard still armed and
         * this step not overtaken, is the target at a safe point; raise. */
        if (lg_py_finishing() || !lg_py_request_current(r) || raised[slot] != raised_before) {
            /* left, or a later step raised, during the report */
        } else if (defer(r)) {
            raised[slot]++; /* the target's tracer raises it */
        } else if (lg_py.SetAsyncExc(r->ident, cls) == 1) {
            raised[slot]++;
            async_set[slot] = true;
            lg_py_write_due_stacks(r->tid); /* the GIL is ours: no frame moves */
        }
    }
    atomic_store(&r->state, LG_PY_FREE);
}

static void *helper(void *arg)
{
    struct lg_py_request *r = arg;
    int expected = LG_PY_READY;
    if (!atomic_compare_exchange_strong(&r->state, &expected, LG_PY_TAKEN))
        return NULL; /* withdrawn */
    if (lg_py_finishing()) {
        atomic_store(&r->state, LG_PY_FREE);
        return NULL;
    }
    hurry_gil();
    int state = lg_py.GILStateEnsure(); /* may end or park this thread at exit */
    /* Still hurried: the report before the raise is Python code, which may
     * hand the GIL to the busy target, and must get it back as soon. */
    lg_py_raise_in_thread(r);
    unhurry_gil();
    lg_py.GILStateRelease(state);
    return NULL;
}

bool lg_py_helper_start(struct lg_py_request *r)
{
    return lg_py_start_thread(helper, r);
}

void lg_py_helper_guard_left(const void *g, bool async_pending)
{
    uintptr_t base = (uintptr_t)lg_slots, p = (uintptr_t)g;
    if (p < base || p - base >= sizeof lg_slots)
        return;
    size_t i = (p - base) / sizeof lg_slots[0];
    if (async_set[i]) {
        async_set[i] = false;
        if (!async_pending)
            return; /* raised already */
        /* set but perhaps not yet raised: not outside the guard */
        lg_py.SetAsyncExc((unsigned long)pthread_self(), NULL);
    }
}

void lg_py_helper_in_child(void)
{
    /* a helper may have been waiting at the fork: it is not in the child */
    pthread_mutex_init(&hurry_lock, NULL);
    if (hurry_waiters && hurry_saved_us > HURRY_US && can_hurry() && interval_get() == HURRY_US)
        interval_set(hurry_saved_us);
    hurry_waiters = 0;
    memset(reporting, 0, sizeof reporting); /* nor one that was reporting */
}
