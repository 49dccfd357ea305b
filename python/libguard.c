/* libguard._core, the C half of the `libguard` Python package (the package's
 * __init__.py re-exports it): resiliparse.process_guard's API over
 * libguard's core (libguard.so.0, linked, so that with the shim preloaded
 * there is still one core, one watchdog and one set of guards).
 *
 * - Entering and leaving a guard is guard_time_begin/guard_mem_begin and
 *   guard_end, from C methods (no Python frame): well under a microsecond.
 * - progress() is guard_progress(): the calling thread's innermost time
 *   guard, else the shim's process guard, in constant time.
 * - The exception step: a handler registered with guard_set_handler (so the
 *   shim's process guard uses it too) runs on the watchdog thread and never
 *   blocks.  It queues the exception (a slot of a fixed ring) and then:
 *     main thread: sends LIBGUARD_PYTHON_SIGNAL (SIGURG) with tgkill; our
 *       Python-level handler for it raises the exception, promptly, even
 *       inside time.sleep, select or read (doc/design.md, "The CPython route");
 *     other threads (or a main thread whose signal the program handles or
 *       blocks):
 *       starts a disposable helper thread that takes the GIL and calls
 *       PyThreadState_SetAsyncExc (raised at the thread's next bytecode, so
 *       after a blocking call returns); while it waits, the GIL's switch
 *       interval is short, so a busy thread hands the GIL over at once.
 *   The exception is raised only if the guard that fired is still active in
 *   that thread: a step racing with leaving the guard is dropped.
 * - Reporting: unless LIBGUARD_LOG is set or the shim armed process guards,
 *   the core writes no line (libguard_package_hold_log) and whoever raises
 *   the exception reports it, GIL held, through _helpers._report (logging,
 *   warnings): our signal handler in the main thread, the helper thread for
 *   the others.
 * - Signal steps are the core's: tgkill to the guard's thread.  CPython runs
 *   signal handlers in the main thread only, so for a guard in another
 *   thread SIGINT raises KeyboardInterrupt in the MAIN thread, and SIGTERM
 *   (unless handled) ends the process, as with Resiliparse. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#if PY_VERSION_HEX >= 0x030C0000
/* Only for the address of the GIL's switch interval (see hurry_gil). */
#define Py_BUILD_CORE 1
#undef _PyGC_FINALIZED /* the public macro clashes with the core's function */
#include <internal/pycore_interp.h>
#undef Py_BUILD_CORE
#endif

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <guard.h>

#ifndef LIBGUARD_VERSION /* the one in configure.ac, from the build */
#error "define LIBGUARD_VERSION (the build does: Makefile.am, setup.py)"
#endif

/* libguard.so's private entry points for this package (its lib/package.c):
 * the LIBGUARD_* problems kept for the import, and whether a thread blocks
 * a signal. */
extern const char *libguard_package_settings_problems(int *warn);
extern int libguard_package_signal_blocked(pid_t tid, int signo);

/* Resiliparse: "the next signal/exception will wait at least another
 * [interval], even if grace_period is zero": max(10, grace_period) ms. */
#define MIN_GRACE_MS 10
#define MAX_ENTRIES 1024 /* libguard's guard table */

static PyObject *base_exc, *timeout_exc, *memory_exc;
static PyObject *reduce_guarded; /* libguard._helpers._reduce_guarded */
static PyObject *report;         /* libguard._helpers._report, when the core's log is held */

/* libguard.so's entry point for this package only (lib/preload.c). */
int libguard_package_hold_log(void);
static PyObject *update_wrapper; /* functools.update_wrapper */

/* ---- guard objects ------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    int kind;                     /* GUARD_TIME or GUARD_MEMORY */
    /* time */
    unsigned long long timeout_ms, grace_ms;
    /* memory */
    unsigned long long max_kib, secondary_ms;
    int absolute;
    /* both */
    int interrupt, send_kill;
    unsigned long long check_interval;
    Py_ssize_t active;            /* entries of this object armed now */
    PyObject *weakrefs;
} GuardObject;

static PyTypeObject TimeGuardType, MemGuardType;

/* Every armed guard of the package, in the order they were entered.  Read
 * and written with the GIL held only (enter, exit, delivery). */
struct entry {
    uint64_t serial;              /* user_data of the core guard */
    struct guard *handle;
    pthread_t thread;
    GuardObject *owner;           /* borrowed: an armed guard's owner is alive */
    int delivered;                /* an async exception was set for it */
};
static struct entry entries[MAX_ENTRIES];
static int n_entries;
static uint64_t next_serial = 1;

static struct entry *find_active(uint64_t serial)
{
    for (int i = n_entries - 1; i >= 0; i--)
        if (entries[i].serial == serial)
            return &entries[i];
    return NULL;
}

/* ---- the exception step: from the watchdog to the target thread ---------- */

enum { FREE, WRITING, READY, TAKEN };
struct request {
    _Atomic int state;
    uint64_t serial;              /* 0: a process guard (the shim's) */
    int kind;
    int step;
    pid_t tid;
    unsigned long ident;          /* threading.get_ident() of the target */
    char message[160];
};
#define N_REQUESTS 64
static struct request requests[N_REQUESTS];
static _Atomic unsigned next_request;

static int python_signal;               /* 0: no signal route */
static _Atomic bool signal_route;       /* our Python handler is installed */
static void (*python_c_handler)(int);   /* CPython's C handler, once ours */
static PyObject *our_handler, *original_set_signal;
static unsigned long main_ident;
static _Atomic bool finalising;

static bool is_finalising(void)
{
    if (atomic_load(&finalising))
        return true;
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

static PyObject *class_of(int kind)
{
    return kind == GUARD_MEMORY ? memory_exc : timeout_exc;
}

/* Is the guard that fired still armed (GIL held)?  Process guards are. */
static bool still_active(const struct request *r, struct entry **out)
{
    *out = NULL;
    if (!r->serial)
        return true;
    *out = find_active(r->serial);
    return *out != NULL;
}

/* ---- hurrying the GIL ------------------------------------------------------
 * A thread waiting for the GIL asks its holder to drop it only after the
 * switch interval (sys.getswitchinterval(), 5 ms by default), so a helper
 * would raise in a busy thread 5 ms late.  While a helper waits, the interval
 * is HURRY_US; the first waiter saves the program's value and the last puts
 * it back, unless the program set another meanwhile.  Only helpers take
 * this lock.  3.12 moved the GIL into the interpreter, and its setter needs
 * the GIL (it finds the interpreter through the thread state), so there we
 * keep the address of the interval, found at import with the GIL held. */
#define HURRY_US 100
static pthread_mutex_t hurry_lock = PTHREAD_MUTEX_INITIALIZER;
static int hurry_waiters;
static unsigned long hurry_saved_us;
#if PY_VERSION_HEX >= 0x030C0000
static unsigned long *gil_interval_us; /* &interp->ceval.gil->interval */
static unsigned long switch_interval_get(void) { return *(volatile unsigned long *)gil_interval_us; }
static void switch_interval_set(unsigned long us) { *(volatile unsigned long *)gil_interval_us = us; }
#else
static unsigned long switch_interval_get(void) { return _PyEval_GetSwitchInterval(); }
static void switch_interval_set(unsigned long us) { _PyEval_SetSwitchInterval(us); }
#endif

static void hurry_gil(void)
{
    pthread_mutex_lock(&hurry_lock);
    if (hurry_waiters++ == 0) {
        hurry_saved_us = switch_interval_get();
        if (hurry_saved_us > HURRY_US)
            switch_interval_set(HURRY_US);
    }
    pthread_mutex_unlock(&hurry_lock);
}

static void unhurry_gil(void)
{
    pthread_mutex_lock(&hurry_lock);
    if (--hurry_waiters == 0 && hurry_saved_us > HURRY_US && switch_interval_get() == HURRY_US)
        switch_interval_set(hurry_saved_us);
    pthread_mutex_unlock(&hurry_lock);
}

/* Report a step that was raised (GIL held), without disturbing the
 * exception being raised: a report that fails is dropped. */
static void report_step(int kind, int step, const char *message, pid_t tid)
{
    if (!report)
        return;
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    PyObject *r = PyObject_CallFunction(report, "iisi", kind, step, message, (int)tid);
    Py_XDECREF(r);
    PyErr_Clear();
    PyErr_Restore(exc_type, exc_value, exc_tb);
}

/* Helper thread: take the GIL, set the async exception.  Owns nothing of
 * libguard's; may be ended by the interpreter if it is finalising. */
static void *helper(void *arg)
{
    struct request *r = arg;
    int expected = READY;
    if (is_finalising() || !atomic_compare_exchange_strong(&r->state, &expected, TAKEN)) {
        if (expected == READY)
            atomic_store(&r->state, FREE);
        return NULL;
    }
    hurry_gil();
    PyGILState_STATE st = PyGILState_Ensure();
    unhurry_gil();
    struct entry *e;
    if (!is_finalising() && still_active(r, &e)) {
        unsigned long ident = r->ident ? r->ident : main_ident;
        if (PyThreadState_SetAsyncExc(ident, class_of(r->kind)) == 1) {
            if (e)
                e->delivered = 1;
            report_step(r->kind, r->step, r->message, r->tid);
        }
    }
    atomic_store(&r->state, FREE);
    PyGILState_Release(st);
    return NULL;
}

static void start_helper(struct request *r)
{
    pthread_attr_t attr;
    pthread_t t;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the helper takes no signal */
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, helper, r) != 0)
        atomic_store(&r->state, FREE);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* On the watchdog thread: never blocks, takes no lock, calls no Python. */
static void on_step(const struct guard_event *ev, void *arg)
{
    (void)arg;
    if (atomic_load(&finalising))
        return;
    struct request *r = NULL;
    for (int tries = 0; tries < N_REQUESTS && !r; tries++) {
        struct request *c = &requests[atomic_fetch_add(&next_request, 1) % N_REQUESTS];
        int expected = FREE;
        if (atomic_compare_exchange_strong(&c->state, &expected, WRITING))
            r = c;
    }
    if (!r)
        return; /* 64 undelivered exceptions: the signal steps follow */
    r->serial = ev->process_guard ? 0 : (uint64_t)(uintptr_t)ev->user_data;
    r->kind = ev->kind;
    r->step = ev->step;
    r->tid = ev->tid;
    r->ident = (unsigned long)ev->thread;
    snprintf(r->message, sizeof r->message, "%s", ev->message ? ev->message : "");
    atomic_store(&r->state, READY);
    struct sigaction sa;
    /* A main thread that blocks the signal would get it only once it
     * unblocks it: the helper's route then. */
    if (ev->tid == getpid() && atomic_load(&signal_route)
        && sigaction(python_signal, NULL, &sa) == 0 && sa.sa_handler == python_c_handler
        && !libguard_package_signal_blocked(ev->tid, python_signal))
        syscall(SYS_tgkill, getpid(), ev->tid, python_signal);
    else
        start_helper(r);
}

/* Our Python-level handler for python_signal: main thread, GIL held. */
static PyObject *on_signal(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    pid_t me = getpid();
    PyObject *raise = NULL;
    int kind = 0, step = 0;
    char message[sizeof requests[0].message];
    for (int i = 0; i < N_REQUESTS; i++) {
        struct request *r = &requests[i];
        int expected = READY;
        /* READY (acquire) first: then tid is the one written before it */
        if (atomic_load(&r->state) != READY || r->tid != me
            || !atomic_compare_exchange_strong(&r->state, &expected, TAKEN))
            continue;
        struct entry *e;
        if (!raise && still_active(r, &e)) {
            raise = class_of(r->kind);
            kind = r->kind;
            step = r->step;
            memcpy(message, r->message, sizeof message);
        }
        atomic_store(&r->state, FREE);
    }
    if (raise && !is_finalising()) {
        report_step(kind, step, message, me);
        PyErr_SetString(raise, message);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef on_signal_def = {
    "_interrupt", on_signal, METH_VARARGS,
    "libguard: raises ExecutionTimeout or MemoryLimitExceeded when a guard fires.",
};

static PyObject *on_atexit(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    atomic_store(&finalising, true);
    Py_RETURN_NONE;
}

static PyMethodDef on_atexit_def = {
    "_atexit", on_atexit, METH_NOARGS, "libguard: the interpreter is exiting.",
};

static void in_child(void)
{
    /* a helper may have been waiting at the fork: it is not in the child */
    pthread_mutex_init(&hurry_lock, NULL);
    if (hurry_waiters && hurry_saved_us > HURRY_US && switch_interval_get() == HURRY_US)
        switch_interval_set(hurry_saved_us);
    hurry_waiters = 0;
    for (int i = 0; i < N_REQUESTS; i++)
        atomic_store(&requests[i].state, FREE);
}

/* ---- entering and leaving ------------------------------------------------- */

static int guard_enter(GuardObject *g)
{
    if (n_entries == MAX_ENTRIES) {
        PyErr_SetString(PyExc_RuntimeError, "too many guards armed at once (1024)");
        return -1;
    }
    uint64_t serial = next_serial++;
    struct guard *h;
    if (g->kind == GUARD_TIME) {
        struct guard_time_options o = GUARD_TIME_OPTIONS_INIT;
        o.timeout_ms = g->timeout_ms;
        o.grace_period_ms = g->grace_ms;
        o.interrupt = g->interrupt;
        o.send_kill = g->send_kill;
        o.user_data = (void *)(uintptr_t)serial;
        h = guard_time_begin(&o);
    } else {
        struct guard_mem_options o = GUARD_MEM_OPTIONS_INIT;
        o.max_bytes = g->max_kib ? g->max_kib * 1024 : 1;
        o.absolute = g->absolute;
        o.interrupt = g->interrupt;
        o.grace_period_ms = g->grace_ms;
        o.secondary_grace_period_ms = g->secondary_ms;
        o.check_interval_ms = g->check_interval ? g->check_interval : 1;
        o.send_kill = g->send_kill;
        o.user_data = (void *)(uintptr_t)serial;
        h = guard_mem_begin(&o);
    }
    if (!h) {
        if (errno == EAGAIN)
            PyErr_SetString(PyExc_RuntimeError, "too many guards armed at once (1024)");
        else if (errno == ENOTSUP)
            PyErr_SetString(PyExc_RuntimeError,
                            "cannot read this process's resident memory (/proc)");
        else
            PyErr_SetString(PyExc_ValueError, "libguard refused the guard's settings");
        return -1;
    }
    entries[n_entries++] = (struct entry){ serial, h, pthread_self(), g, 0 };
    g->active++;
    return 0;
}

static void guard_exit(GuardObject *g)
{
    pthread_t me = pthread_self();
    for (int i = n_entries - 1; i >= 0; i--) {
        struct entry *e = &entries[i];
        if (e->owner != g || !pthread_equal(e->thread, me))
            continue;
        guard_end(e->handle);
        if (e->delivered) /* set but not yet raised: not outside the guard */
            PyThreadState_SetAsyncExc(PyThread_get_thread_ident(), NULL);
        memmove(e, e + 1, (size_t)(n_entries - i - 1) * sizeof *e);
        n_entries--;
        g->active--;
        return;
    }
}

static PyObject *Guard_enter(PyObject *self, PyObject *unused)
{
    (void)unused;
    if (guard_enter((GuardObject *)self) < 0)
        return NULL;
    Py_INCREF(self);
    return self;
}

static PyObject *Guard_exit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)args;
    (void)nargs;
    guard_exit((GuardObject *)self);
    Py_RETURN_FALSE;
}

static void guard_progress_obj(GuardObject *g)
{
    Py_ssize_t left = g->active;
    for (int i = n_entries - 1; i >= 0 && left > 0; i--)
        if (entries[i].owner == g) {
            guard_progress_on(entries[i].handle);
            left--;
        }
}

static PyObject *TimeGuard_progress(PyObject *self, PyObject *unused)
{
    (void)unused;
    guard_progress_obj((GuardObject *)self);
    Py_RETURN_NONE;
}

/* ---- arguments ------------------------------------------------------------- */

/* A non-negative number of `unit` (1000: seconds) as milliseconds. */
static int to_ms(PyObject *v, double unit, const char *name, unsigned long long *out)
{
    double d;
    if (PyBool_Check(v) || !(PyLong_Check(v) || PyFloat_Check(v))) {
        PyErr_Format(PyExc_TypeError, "%s must be a number, not %.100s", name,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    d = PyFloat_Check(v) ? PyFloat_AS_DOUBLE(v) : PyLong_AsDouble(v);
    if (d == -1.0 && PyErr_Occurred())
        return -1;
    if (!(d >= 0) || !isfinite(d) || d * unit > 3.1536e12 /* 100 years */) {
        PyErr_Format(PyExc_ValueError, "%s must be a number >= 0 (and finite), got %R", name, v);
        return -1;
    }
    *out = (unsigned long long)llround(d * unit);
    return 0;
}

/* `seconds` or `ms` (when not None) as milliseconds. */
static int pick_ms(PyObject *seconds, PyObject *ms, const char *sname, const char *msname,
                   unsigned long long *out)
{
    if (ms && ms != Py_None)
        return to_ms(ms, 1, msname, out);
    return to_ms(seconds, 1000, sname, out);
}

static int to_interrupt(PyObject *v, int *out)
{
    if (PyBool_Check(v) || !PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError,
                     "interrupt_type must be an InterruptType (exception, signal or "
                     "exception_then_signal), not %.100s", Py_TYPE(v)->tp_name);
        return -1;
    }
    long i = PyLong_AsLong(v);
    if (i == -1 && PyErr_Occurred())
        PyErr_Clear();
    if (i < 0 || i > 2) {
        PyErr_Format(PyExc_ValueError,
                     "interrupt_type must be InterruptType.exception, .signal or "
                     ".exception_then_signal, got %R", v);
        return -1;
    }
    *out = (int)i;
    return 0;
}

static int to_bool(PyObject *v, int *out)
{
    int b = PyObject_IsTrue(v);
    if (b < 0)
        return -1;
    *out = b;
    return 0;
}

static GuardObject *new_guard(PyTypeObject *type, int kind)
{
    GuardObject *g = (GuardObject *)type->tp_alloc(type, 0);
    if (g)
        g->kind = kind;
    return g;
}

static PyObject *default_interrupt(void)
{
    return PyLong_FromLong(GUARD_INTERRUPT_EXCEPTION_THEN_SIGNAL);
}

/* TimeGuard(timeout_ms, grace_period_ms, interrupt_type, send_kill, check_interval):
 * Resiliparse's constructor, all in ms; time_guard() is the friendly one. */
static PyObject *TimeGuard_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = { "timeout", "grace_period", "interrupt_type", "send_kill",
                          "check_interval", NULL };
    PyObject *timeout, *grace, *interrupt = NULL, *kill = Py_False, *interval = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|OOO:TimeGuard", kw, &timeout, &grace,
                                     &interrupt, &kill, &interval))
        return NULL;
    GuardObject *g = new_guard(type, GUARD_TIME);
    if (!g)
        return NULL;
    PyObject *dflt = interrupt ? NULL : default_interrupt();
    g->check_interval = 500;
    if (to_ms(timeout, 1, "timeout", &g->timeout_ms) < 0
        || to_ms(grace, 1, "grace_period", &g->grace_ms) < 0
        || to_interrupt(interrupt ? interrupt : dflt, &g->interrupt) < 0
        || to_bool(kill, &g->send_kill) < 0
        || (interval && to_ms(interval, 1, "check_interval", &g->check_interval) < 0)) {
        Py_XDECREF(dflt);
        Py_DECREF(g);
        return NULL;
    }
    Py_XDECREF(dflt);
    if (g->timeout_ms == 0)
        g->timeout_ms = 1; /* Resiliparse: 0 interrupts at once */
    if (g->grace_ms < MIN_GRACE_MS)
        g->grace_ms = MIN_GRACE_MS;
    return (PyObject *)g;
}

/* MemGuard(max_memory, absolute, grace_period_ms, secondary_grace_period_ms,
 *          interrupt_type, send_kill, check_interval) */
static PyObject *MemGuard_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = { "max_memory", "absolute", "grace_period", "secondary_grace_period",
                          "interrupt_type", "send_kill", "check_interval", NULL };
    PyObject *max, *absolute = Py_True, *grace = NULL, *secondary = NULL, *interrupt = NULL,
             *kill = Py_False, *interval = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OOOOOO:MemGuard", kw, &max, &absolute,
                                     &grace, &secondary, &interrupt, &kill, &interval))
        return NULL;
    GuardObject *g = new_guard(type, GUARD_MEMORY);
    if (!g)
        return NULL;
    PyObject *dflt = interrupt ? NULL : default_interrupt();
    g->secondary_ms = 5000;
    g->check_interval = 500;
    if (to_ms(max, 1, "max_memory", &g->max_kib) < 0
        || to_bool(absolute, &g->absolute) < 0
        || (grace && to_ms(grace, 1, "grace_period", &g->grace_ms) < 0)
        || (secondary && to_ms(secondary, 1, "secondary_grace_period", &g->secondary_ms) < 0)
        || to_interrupt(interrupt ? interrupt : dflt, &g->interrupt) < 0
        || to_bool(kill, &g->send_kill) < 0
        || (interval && to_ms(interval, 1, "check_interval", &g->check_interval) < 0)) {
        Py_XDECREF(dflt);
        Py_DECREF(g);
        return NULL;
    }
    Py_XDECREF(dflt);
    if (g->secondary_ms < MIN_GRACE_MS)
        g->secondary_ms = MIN_GRACE_MS;
    return (PyObject *)g;
}

static PyObject *interrupt_enum(int i)
{
    PyObject *m = PyImport_ImportModule("libguard"), *e = NULL;
    if (m) {
        PyObject *cls = PyObject_GetAttrString(m, "InterruptType");
        if (cls) {
            e = PyObject_CallFunction(cls, "i", i);
            Py_DECREF(cls);
        }
        Py_DECREF(m);
    }
    return e;
}

/* Picklable: the guard's settings, not its state (an armed guard belongs
 * to a thread of this process). */
static PyObject *Guard_reduce(PyObject *self, PyObject *unused)
{
    (void)unused;
    GuardObject *g = (GuardObject *)self;
    PyObject *it = interrupt_enum(g->interrupt);
    if (!it)
        return NULL;
    PyObject *r;
    if (g->kind == GUARD_TIME)
        r = Py_BuildValue("O(KKOOK)", Py_TYPE(self), g->timeout_ms, g->grace_ms, it,
                          g->send_kill ? Py_True : Py_False, g->check_interval);
    else
        r = Py_BuildValue("O(KOKKOOK)", Py_TYPE(self), g->max_kib,
                          g->absolute ? Py_True : Py_False, g->grace_ms, g->secondary_ms, it,
                          g->send_kill ? Py_True : Py_False, g->check_interval);
    Py_DECREF(it);
    return r;
}

static PyObject *Guard_repr(PyObject *self)
{
    GuardObject *g = (GuardObject *)self;
    static const char *names[] = { "exception", "signal", "exception_then_signal" };
    if (g->kind == GUARD_TIME)
        return PyUnicode_FromFormat(
            "<TimeGuard timeout_ms=%llu grace_period_ms=%llu interrupt_type=%s send_kill=%s>",
            g->timeout_ms, g->grace_ms, names[g->interrupt], g->send_kill ? "True" : "False");
    return PyUnicode_FromFormat(
        "<MemGuard max_memory=%llu absolute=%s grace_period_ms=%llu "
        "secondary_grace_period_ms=%llu interrupt_type=%s send_kill=%s check_interval=%llu>",
        g->max_kib, g->absolute ? "True" : "False", g->grace_ms, g->secondary_ms,
        names[g->interrupt], g->send_kill ? "True" : "False", g->check_interval);
}

static void Guard_dealloc(PyObject *self)
{
    GuardObject *g = (GuardObject *)self;
    if (g->weakrefs)
        PyObject_ClearWeakRefs(self);
    /* Normally nothing points here any more (a with statement or a wrapper
     * holds an armed guard's owner).  A guard left in another thread than
     * it was entered (a generator closed elsewhere) may: forget it. */
    for (int i = n_entries - 1; g->active > 0 && i >= 0; i--)
        if (entries[i].owner == g) {
            memmove(&entries[i], &entries[i + 1], (size_t)(n_entries - i - 1) * sizeof entries[0]);
            n_entries--;
            g->active--;
        }
    Py_TYPE(self)->tp_free(self);
}

/* ---- the decorator ------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    GuardObject *guard;
    PyObject *func;
    PyObject *dict;
    PyObject *weakrefs;
} GuardedObject;

static PyTypeObject GuardedType;

static PyObject *Guard_call(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *func;
    if (kwargs && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "a guard decorates one function: guard(func)");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O:guard", &func))
        return NULL;
    if (!PyCallable_Check(func)) {
        PyErr_Format(PyExc_TypeError, "a guard decorates a callable, not %.100s",
                     Py_TYPE(func)->tp_name);
        return NULL;
    }
    GuardedObject *w = PyObject_GC_New(GuardedObject, &GuardedType);
    if (!w)
        return NULL;
    Py_INCREF(self);
    Py_INCREF(func);
    w->guard = (GuardObject *)self;
    w->func = func;
    w->dict = PyDict_New();
    w->weakrefs = NULL;
    PyObject_GC_Track(w);
    if (!w->dict)
        goto fail;
    PyObject *r = PyObject_CallFunctionObjArgs(update_wrapper, (PyObject *)w, func, NULL);
    if (!r)
        goto fail;
    Py_DECREF(r);
    /* Resiliparse: the guard itself, and its public methods, on the wrapper. */
    if (PyDict_SetItemString(w->dict, "_guard_self", self) < 0)
        goto fail;
    if (Py_TYPE(self) == &TimeGuardType) {
        PyObject *m = PyObject_GetAttrString(self, "progress");
        if (!m || PyDict_SetItemString(w->dict, "progress", m) < 0) {
            Py_XDECREF(m);
            goto fail;
        }
        Py_DECREF(m);
    }
    return (PyObject *)w;
fail:
    Py_DECREF(w);
    return NULL;
}

static PyObject *Guarded_call(PyObject *self, PyObject *args, PyObject *kwargs)
{
    GuardedObject *w = (GuardedObject *)self;
    GuardObject *g = w->guard;
    if (guard_enter(g) < 0)
        return NULL;
    PyObject *r = PyObject_Call(w->func, args, kwargs);
    guard_exit(g);
    return r;
}

static PyObject *Guarded_get(PyObject *self, PyObject *obj, PyObject *type)
{
    (void)type;
    if (!obj || obj == Py_None) {
        Py_INCREF(self);
        return self;
    }
    return PyMethod_New(self, obj);
}

static PyObject *Guarded_reduce(PyObject *self, PyObject *unused)
{
    (void)unused;
    return PyObject_CallFunctionObjArgs(reduce_guarded, self, NULL);
}

static PyObject *Guarded_repr(PyObject *self)
{
    GuardedObject *w = (GuardedObject *)self;
    return PyUnicode_FromFormat("<guarded %R by %R>", w->func, (PyObject *)w->guard);
}

static int Guarded_traverse(PyObject *self, visitproc visit, void *arg)
{
    GuardedObject *w = (GuardedObject *)self;
    Py_VISIT(w->guard);
    Py_VISIT(w->func);
    Py_VISIT(w->dict);
    return 0;
}

static int Guarded_clear(PyObject *self)
{
    GuardedObject *w = (GuardedObject *)self;
    Py_CLEAR(w->guard);
    Py_CLEAR(w->func);
    Py_CLEAR(w->dict);
    return 0;
}

static void Guarded_dealloc(PyObject *self)
{
    GuardedObject *w = (GuardedObject *)self;
    PyObject_GC_UnTrack(self);
    if (w->weakrefs)
        PyObject_ClearWeakRefs(self);
    Guarded_clear(self);
    PyObject_GC_Del(self);
}

static PyMethodDef Guarded_methods[] = {
    { "__reduce__", Guarded_reduce, METH_NOARGS, NULL },
    { NULL, NULL, 0, NULL },
};
static PyGetSetDef Guarded_getset[] = {
    { "__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyTypeObject GuardedType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "libguard.GuardedFunction",
    .tp_basicsize = sizeof(GuardedObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A function guarded by a TimeGuard or MemGuard (see time_guard, mem_guard).",
    .tp_call = Guarded_call,
    .tp_descr_get = Guarded_get,
    .tp_repr = Guarded_repr,
    .tp_traverse = Guarded_traverse,
    .tp_clear = Guarded_clear,
    .tp_dealloc = Guarded_dealloc,
    .tp_methods = Guarded_methods,
    .tp_getset = Guarded_getset,
    .tp_dictoffset = offsetof(GuardedObject, dict),
    .tp_weaklistoffset = offsetof(GuardedObject, weakrefs),
};

/* ---- TimeGuard and MemGuard types ---------------------------------------- */

static PyMethodDef TimeGuard_methods[] = {
    { "__enter__", Guard_enter, METH_NOARGS, NULL },
    { "__exit__", (PyCFunction)(void (*)(void))Guard_exit, METH_FASTCALL, NULL },
    { "progress", TimeGuard_progress, METH_NOARGS,
      "progress($self, /)\n--\n\nReport progress: reset this guard's timeout (in every thread that "
      "has entered it). Thread-safe." },
    { "__reduce__", Guard_reduce, METH_NOARGS, NULL },
    { NULL, NULL, 0, NULL },
};
static PyMethodDef MemGuard_methods[] = {
    { "__enter__", Guard_enter, METH_NOARGS, NULL },
    { "__exit__", (PyCFunction)(void (*)(void))Guard_exit, METH_FASTCALL, NULL },
    { "__reduce__", Guard_reduce, METH_NOARGS, NULL },
    { NULL, NULL, 0, NULL },
};

static PyTypeObject TimeGuardType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "libguard.TimeGuard",
    .tp_basicsize = sizeof(GuardObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Decorator and context manager guarding the execution time of a task.\n\n"
              "Use the time_guard() factory function to make one.",
    .tp_new = TimeGuard_new,
    .tp_call = Guard_call,
    .tp_repr = Guard_repr,
    .tp_dealloc = Guard_dealloc,
    .tp_methods = TimeGuard_methods,
    .tp_weaklistoffset = offsetof(GuardObject, weakrefs),
};
static PyTypeObject MemGuardType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "libguard.MemGuard",
    .tp_basicsize = sizeof(GuardObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Decorator and context manager enforcing a memory limit on a task.\n\n"
              "Use the mem_guard() factory function to make one.",
    .tp_new = MemGuard_new,
    .tp_call = Guard_call,
    .tp_repr = Guard_repr,
    .tp_dealloc = Guard_dealloc,
    .tp_methods = MemGuard_methods,
    .tp_weaklistoffset = offsetof(GuardObject, weakrefs),
};

/* ---- module functions ---------------------------------------------------- */

static PyObject *time_guard(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kw[] = { "timeout", "timeout_ms", "grace_period", "grace_period_ms",
                          "interrupt_type", "send_kill", "check_interval", NULL };
    PyObject *timeout = NULL, *timeout_ms = Py_None, *grace = NULL, *grace_ms = Py_None,
             *interrupt = NULL, *kill = Py_False, *interval = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOOOOOO:time_guard", kw, &timeout,
                                     &timeout_ms, &grace, &grace_ms, &interrupt, &kill,
                                     &interval))
        return NULL;
    PyObject *sixty = PyLong_FromLong(60), *fifteen = PyLong_FromLong(15);
    GuardObject *g = NULL;
    unsigned long long t, gr;
    if (!sixty || !fifteen)
        goto out;
    if (timeout == Py_None && timeout_ms == Py_None) {
        PyErr_SetString(PyExc_ValueError, "No timeout set (timeout and timeout_ms are None)");
        goto out;
    }
    if (pick_ms(timeout ? timeout : sixty, timeout_ms, "timeout", "timeout_ms", &t) < 0
        || pick_ms(grace ? grace : fifteen, grace_ms, "grace_period", "grace_period_ms", &gr) < 0)
        goto out;
    PyObject *a = Py_BuildValue("KK", t, gr);
    if (!a)
        goto out;
    PyObject *kw2 = PyDict_New();
    if (kw2 && (!interrupt || PyDict_SetItemString(kw2, "interrupt_type", interrupt) == 0)
        && PyDict_SetItemString(kw2, "send_kill", kill) == 0
        && (!interval || PyDict_SetItemString(kw2, "check_interval", interval) == 0))
        g = (GuardObject *)TimeGuard_new(&TimeGuardType, a, kw2);
    Py_DECREF(a);
    Py_XDECREF(kw2);
out:
    Py_XDECREF(sixty);
    Py_XDECREF(fifteen);
    return (PyObject *)g;
}

static PyObject *mem_guard(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kw[] = { "max_memory", "absolute", "grace_period", "grace_period_ms",
                          "secondary_grace_period", "secondary_grace_period_ms",
                          "interrupt_type", "send_kill", "check_interval", NULL };
    PyObject *max, *absolute = Py_True, *grace = NULL, *grace_ms = Py_None, *sec = NULL,
             *sec_ms = Py_None, *interrupt = NULL, *kill = Py_False, *interval = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OOOOOOOO:mem_guard", kw, &max, &absolute,
                                     &grace, &grace_ms, &sec, &sec_ms, &interrupt, &kill,
                                     &interval))
        return NULL;
    PyObject *zero = PyLong_FromLong(0), *five = PyLong_FromLong(5);
    PyObject *r = NULL;
    unsigned long long gr, s;
    if (zero && five
        && pick_ms(grace ? grace : zero, grace_ms, "grace_period", "grace_period_ms", &gr) == 0
        && pick_ms(sec ? sec : five, sec_ms, "secondary_grace_period",
                   "secondary_grace_period_ms", &s) == 0) {
        PyObject *a = Py_BuildValue("(OOKK)", max, absolute, gr, s);
        PyObject *kw2 = PyDict_New();
        if (a && kw2 && (!interrupt || PyDict_SetItemString(kw2, "interrupt_type", interrupt) == 0)
            && PyDict_SetItemString(kw2, "send_kill", kill) == 0
            && (!interval || PyDict_SetItemString(kw2, "check_interval", interval) == 0))
            r = MemGuard_new(&MemGuardType, a, kw2);
        Py_XDECREF(a);
        Py_XDECREF(kw2);
    }
    Py_XDECREF(zero);
    Py_XDECREF(five);
    return r;
}

/* progress(ctx=None): report progress to ctx, or to the calling thread's
 * innermost time guard (else the shim's process guard). */
static int progress_ctx(PyObject *ctx)
{
    if (ctx == Py_None) {
        guard_progress();
        return 0;
    }
    if (Py_TYPE(ctx) == &TimeGuardType) {
        guard_progress_obj((GuardObject *)ctx);
        return 0;
    }
    if (Py_TYPE(ctx) == &GuardedType
        && Py_TYPE(((GuardedObject *)ctx)->guard) == &TimeGuardType) {
        guard_progress_obj(((GuardedObject *)ctx)->guard);
        return 0;
    }
    if (PyObject_TypeCheck(ctx, &TimeGuardType)) {
        guard_progress_obj((GuardObject *)ctx);
        return 0;
    }
    PyObject *inner = PyObject_GetAttrString(ctx, "_guard_self");
    if (inner && PyObject_TypeCheck(inner, &TimeGuardType)) {
        guard_progress_obj((GuardObject *)inner);
        Py_DECREF(inner);
        return 0;
    }
    Py_XDECREF(inner);
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError,
                 "progress(ctx): ctx must be a TimeGuard or a function decorated with "
                 "time_guard, not %.100s", Py_TYPE(ctx)->tp_name);
    return -1;
}

static PyObject *progress(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames)
{
    (void)self;
    if (nargs == 0 && !kwnames) {
        guard_progress();
        Py_RETURN_NONE;
    }
    PyObject *ctx = Py_None;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs + nkw > 1) {
        PyErr_SetString(PyExc_TypeError, "progress() takes at most one argument (ctx)");
        return NULL;
    }
    if (nargs == 1) {
        ctx = args[0];
    } else {
        PyObject *name = PyTuple_GET_ITEM(kwnames, 0);
        if (!PyUnicode_Check(name) || PyUnicode_CompareWithASCIIString(name, "ctx") != 0) {
            PyErr_Format(PyExc_TypeError, "progress() got an unexpected keyword argument %R",
                         name);
            return NULL;
        }
        ctx = args[0];
    }
    if (progress_ctx(ctx) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* progress_loop(it, ctx=None): progress after each item, as Resiliparse's
 * generator does (when the next item is asked for). */
typedef struct {
    PyObject_HEAD
    PyObject *it, *ctx;
    int started;
} LoopObject;

static PyTypeObject LoopType;

static PyObject *progress_loop(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kw[] = { "it", "ctx", NULL };
    PyObject *iterable, *ctx = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:progress_loop", kw, &iterable, &ctx))
        return NULL;
    if (ctx != Py_None && !PyObject_TypeCheck(ctx, &TimeGuardType)) {
        /* checked now, so a bad ctx fails here, not at the second item */
        PyObject *inner = PyObject_GetAttrString(ctx, "_guard_self");
        int ok = inner && PyObject_TypeCheck(inner, &TimeGuardType);
        Py_XDECREF(inner);
        PyErr_Clear();
        if (!ok) {
            PyErr_Format(PyExc_TypeError,
                         "progress_loop(it, ctx): ctx must be a TimeGuard or a function "
                         "decorated with time_guard, not %.100s", Py_TYPE(ctx)->tp_name);
            return NULL;
        }
    }
    PyObject *it = PyObject_GetIter(iterable);
    if (!it)
        return NULL;
    LoopObject *l = PyObject_GC_New(LoopObject, &LoopType);
    if (!l) {
        Py_DECREF(it);
        return NULL;
    }
    l->it = it;
    Py_INCREF(ctx);
    l->ctx = ctx;
    l->started = 0;
    PyObject_GC_Track(l);
    return (PyObject *)l;
}

static PyObject *Loop_next(PyObject *self)
{
    LoopObject *l = (LoopObject *)self;
    if (!l->it)
        return NULL;
    if (l->started && progress_ctx(l->ctx) < 0)
        return NULL;
    l->started = 1;
    PyObject *item = PyIter_Next(l->it);
    if (!item)
        Py_CLEAR(l->it);
    return item;
}

static int Loop_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((LoopObject *)self)->it);
    Py_VISIT(((LoopObject *)self)->ctx);
    return 0;
}

static void Loop_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    Py_CLEAR(((LoopObject *)self)->it);
    Py_CLEAR(((LoopObject *)self)->ctx);
    PyObject_GC_Del(self);
}

static PyTypeObject LoopType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "libguard.progress_loop",
    .tp_basicsize = sizeof(LoopObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = Loop_next,
    .tp_traverse = Loop_traverse,
    .tp_dealloc = Loop_dealloc,
};

static PyMethodDef module_methods[] = {
    { "time_guard", (PyCFunction)(void (*)(void))time_guard, METH_VARARGS | METH_KEYWORDS,
      "time_guard($module, /, timeout=60, timeout_ms=None, grace_period=15, "
      "grace_period_ms=None, interrupt_type=InterruptType.exception_then_signal, "
      "send_kill=False, check_interval=500)\n--\n\n"
      "A TimeGuard: decorator and context manager that interrupts the task (the thread "
      "that enters it) after `timeout` seconds without progress, escalating every "
      "`grace_period` seconds (at least 10 ms apart). check_interval is accepted for "
      "compatibility: libguard's watchdog sleeps until the deadline." },
    { "mem_guard", (PyCFunction)(void (*)(void))mem_guard, METH_VARARGS | METH_KEYWORDS,
      "mem_guard($module, /, max_memory, absolute=True, grace_period=0, "
      "grace_period_ms=None, secondary_grace_period=5, secondary_grace_period_ms=None, "
      "interrupt_type=InterruptType.exception_then_signal, send_kill=False, "
      "check_interval=500)\n--\n\n"
      "A MemGuard: interrupts the task once the process's resident memory has exceeded "
      "max_memory KiB (absolute=False: KiB of growth since the guard was entered) for "
      "grace_period seconds; further steps every secondary_grace_period seconds. Memory "
      "is sampled at least every check_interval milliseconds." },
    { "progress", (PyCFunction)(void (*)(void))progress, METH_FASTCALL | METH_KEYWORDS,
      "progress($module, /, ctx=None)\n--\n\nReport progress to ctx (a TimeGuard or a guarded function); "
      "without ctx, to the calling thread's innermost time guard (else the process guard "
      "of the libguard shim; else nothing)." },
    { "progress_loop", (PyCFunction)(void (*)(void))progress_loop,
      METH_VARARGS | METH_KEYWORDS,
      "progress_loop($module, /, it, ctx=None)\n--\n\nIterate over it, reporting progress (as progress(ctx)) "
      "after each item." },
    { NULL, NULL, 0, NULL },
};

/* _signal.signal, wrapped: a program that takes the signal over later gets
 * it, and the main thread's exceptions come through the helper thread. */
static PyObject *on_set_signal(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    PyObject *r = PyObject_Call(original_set_signal, args, kwargs);
    if (r && PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 2) {
        long signo = PyLong_AsLong(PyTuple_GET_ITEM(args, 0));
        if (signo == -1 && PyErr_Occurred())
            PyErr_Clear();
        else if (signo == python_signal)
            atomic_store(&signal_route, PyTuple_GET_ITEM(args, 1) == our_handler);
    }
    return r;
}

static PyMethodDef set_signal_def = {
    "signal", (PyCFunction)(void (*)(void))on_set_signal, METH_VARARGS | METH_KEYWORDS,
    "signal(signalnum, handler): see the signal module (wrapped by the libguard package).",
};

static void watch_set_signal(void)
{
    PyObject *mod = PyImport_ImportModule("_signal"), *wrapper = NULL;
    if (mod && (original_set_signal = PyObject_GetAttrString(mod, "signal"))
        && (wrapper = PyCFunction_NewEx(&set_signal_def, NULL, NULL)))
        PyObject_SetAttrString(mod, "signal", wrapper);
    PyErr_Clear();
    Py_XDECREF(wrapper);
    Py_XDECREF(mod);
}

/* On the main thread at import: our Python-level handler for the signal,
 * unless the program handles it (the shim's own handler is ours to take). */
static void install_signal_route(PyObject *module)
{
    if ((pid_t)syscall(SYS_gettid) != getpid())
        return;
    PyObject *fn = PyObject_GetAttrString(module, "_python_signal"), *n = NULL;
    PyObject *sigmod = NULL, *cur = NULL, *handler = NULL, *r = NULL;
    if (!fn || !(n = PyObject_CallObject(fn, NULL)))
        goto out;
    int signo = (int)PyLong_AsLong(n);
    if (signo <= 0 || signo == SIGKILL || signo == SIGSTOP || signo >= NSIG)
        goto out;
    if (!(sigmod = PyImport_ImportModule("signal"))
        || !(cur = PyObject_CallMethod(sigmod, "getsignal", "i", signo)))
        goto out;
    bool free_py = PyLong_Check(cur) && PyLong_AsLong(cur) <= 1; /* SIG_DFL, SIG_IGN */
    if (!free_py && PyCFunction_Check(cur)) {
        /* the shim's handler (lib/python.c): ours supersedes it */
        PyObject *name = PyObject_GetAttrString(cur, "__name__");
        free_py = name && PyUnicode_Check(name)
            && PyUnicode_CompareWithASCIIString(name, "libguard_interrupt") == 0;
        Py_XDECREF(name);
        PyErr_Clear();
    }
    struct sigaction sa;
    if (!free_py || sigaction(signo, NULL, &sa) != 0)
        goto out;
    if (PyLong_Check(cur) && ((sa.sa_flags & SA_SIGINFO)
                              || (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)))
        goto out; /* handled in C */
    if (!(handler = PyCFunction_NewEx(&on_signal_def, NULL, NULL))
        || !(r = PyObject_CallMethod(sigmod, "signal", "iO", signo, handler))
        || sigaction(signo, NULL, &sa) != 0)
        goto out;
    python_signal = signo;
    python_c_handler = sa.sa_handler;
    our_handler = handler;
    Py_INCREF(our_handler);
    watch_set_signal();
    atomic_store(&signal_route, true);
out:
    PyErr_Clear();
    Py_XDECREF(fn);
    Py_XDECREF(n);
    Py_XDECREF(sigmod);
    Py_XDECREF(cur);
    Py_XDECREF(handler);
    Py_XDECREF(r);
}

static int register_atexit(void)
{
    PyObject *m = PyImport_ImportModule("atexit"), *cb = NULL, *r = NULL;
    if (m && (cb = PyCFunction_NewEx(&on_atexit_def, NULL, NULL)))
        r = PyObject_CallMethod(m, "register", "O", cb);
    Py_XDECREF(m);
    Py_XDECREF(cb);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "libguard._core",
    .m_doc = "Process guards (a faster drop-in for resiliparse.process_guard) over libguard's "
             "core: time_guard, mem_guard, progress, progress_loop, InterruptType, "
             "ExecutionTimeout, MemoryLimitExceeded.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__core(void)
{
    /* A bad LIBGUARD_* setting: the import fails (or warns, with
     * LIBGUARD_ON_ERROR=warn) instead of the process ending, and the
     * environment's guards are not armed. */
    int warn = 0;
    const char *problems = libguard_package_settings_problems(&warn);
    if (problems && !warn) {
        PyErr_SetString(PyExc_ValueError, problems);
        return NULL;
    }
    if (problems && PyErr_WarnEx(PyExc_RuntimeWarning, problems, 1) < 0)
        return NULL;
    if (PyType_Ready(&TimeGuardType) < 0 || PyType_Ready(&MemGuardType) < 0
        || PyType_Ready(&GuardedType) < 0 || PyType_Ready(&LoopType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
#if PY_VERSION_HEX >= 0x030C0000
    gil_interval_us = &PyInterpreterState_Main()->ceval.gil->interval;
#endif
    PyObject *d = PyModule_GetDict(m), *helpers = NULL;
    base_exc = PyErr_NewExceptionWithDoc("libguard.ResiliparseGuardException",
                                         "Resiliparse guard base exception.",
                                         PyExc_BaseException, NULL);
    if (!base_exc)
        goto fail;
    timeout_exc = PyErr_NewExceptionWithDoc("libguard.ExecutionTimeout",
                                            "Execution timeout exception.", base_exc, NULL);
    memory_exc = PyErr_NewExceptionWithDoc("libguard.MemoryLimitExceeded",
                                           "Memory limit exceeded exception.", base_exc, NULL);
    if (!timeout_exc || !memory_exc)
        goto fail;
    Py_INCREF(&TimeGuardType);
    Py_INCREF(&MemGuardType);
    if (PyModule_AddStringConstant(m, "__version__", LIBGUARD_VERSION) < 0
        || PyDict_SetItemString(d, "ResiliparseGuardException", base_exc) < 0
        || PyDict_SetItemString(d, "ExecutionTimeout", timeout_exc) < 0
        || PyDict_SetItemString(d, "MemoryLimitExceeded", memory_exc) < 0
        || PyModule_AddObject(m, "TimeGuard", (PyObject *)&TimeGuardType) < 0
        || PyModule_AddObject(m, "MemGuard", (PyObject *)&MemGuardType) < 0)
        goto fail;
    helpers = PyImport_ImportModule("libguard._helpers");
    if (!helpers)
        goto fail;
    reduce_guarded = PyObject_GetAttrString(helpers, "_reduce_guarded");
    PyObject *functools = PyImport_ImportModule("functools");
    if (!functools)
        goto fail;
    update_wrapper = PyObject_GetAttrString(functools, "update_wrapper");
    Py_DECREF(functools);
    if (!reduce_guarded || !update_wrapper)
        goto fail;
    if (register_atexit() < 0)
        goto fail;
    main_ident = PyThread_get_thread_ident();
    {
        PyObject *threading = PyImport_ImportModule("threading");
        PyObject *mt = threading ? PyObject_CallMethod(threading, "main_thread", NULL) : NULL;
        PyObject *id = mt ? PyObject_GetAttrString(mt, "ident") : NULL;
        if (id && PyLong_Check(id))
            main_ident = PyLong_AsUnsignedLong(id);
        PyErr_Clear();
        Py_XDECREF(threading);
        Py_XDECREF(mt);
        Py_XDECREF(id);
    }
    pthread_atfork(NULL, NULL, in_child);
    /* First the route (the shim's Python support then knows the signal is
     * taken by us, not by the program), then the signal. */
    if (guard_set_handler(on_step, NULL, 0) != 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        goto fail;
    }
    install_signal_route(helpers);
    if (libguard_package_hold_log() == 1 && !(report = PyObject_GetAttrString(helpers, "_report")))
        goto fail;
    Py_DECREF(helpers);
    return m;
fail:
    Py_XDECREF(helpers);
    Py_DECREF(m);
    return NULL;
}
