/* Holding an exception back until a safe point (safepoint.h): the
 * deferral tracer.  f_trace_opcodes on the stack's frames and a C trace
 * function (PyEval_SetTrace; for another thread on 3.12+,
 * PyEval_SetTraceAllThreads) that applies the decision (safepoint.c) at
 * each instruction and raises at the first yes, or at the bound.
 *
 * The program's own tracers (coverage, a debugger) are kept: each thread's
 * is saved before ours replaces it, gets that thread's events meanwhile,
 * and is put back by the thread itself (PyEval_SetTrace acts on the
 * calling thread only): the target at delivery, the others of 3.12+'s
 * all-threads route at their next event, unless none of them had one (then
 * ours is removed from all at once, as the interpreter stops tracing). */
#include "config.h"
#include "py/safepoint.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"
#include "guard-package.h"
#include "log.h"
#include "py/waitsites.h"

#define BOUND_NS 10000000ull /* 10 ms inside protected code ... */
#define BOUND_OPCODES 1000   /* ... and this many instructions: forced */
#define MAX_TRACED 256       /* frames whose f_trace_opcodes we set */
#define MAX_THREADS 256      /* thread states whose tracer we keep */

typedef int (*py_tracefunc)(PyObject *, void *, int, PyObject *);
enum { TRACE_CALL = 0, TRACE_OPCODE = 7 };

/* The c_tracefunc / c_traceobj fields of PyThreadState, in pointers (public
 * struct in cpython/pystate.h; checked after each install, see chain()). */
static int trace_field(void)
{
    return lg_py_minor <= 10 ? 8 : lg_py_minor <= 12 ? 9 : 11;
}

static struct {
    bool active;
    const struct lg_safepoint_ops *ops;
    char what[32];
    uint64_t since;
    long opcodes;
    unsigned long ident;    /* the thread that gets it */
    bool all_threads;       /* 3.12+, another thread: PyEval_SetTraceAllThreads */
    PyObject *traced[MAX_TRACED];
    bool set_f_trace[MAX_TRACED]; /* we gave it f_trace (3.13+) */
    int n_traced;
} d;

/* A thread's own trace function while ours is installed on it. */
static struct saved_tracer {
    void *tstate;
    py_tracefunc fn; /* NULL: it had none */
    PyObject *obj;   /* its argument: a reference we hold */
} saved[MAX_THREADS];
static int n_saved; /* entries: threads that still run ours */

/* Only the forking thread is in the child: a deferral for another thread
 * is forgotten (its frames are leaked: touching them could run code of a
 * thread that is not here). */
void lg_safepoint_defer_in_child(void)
{
    if (d.active && d.ident != (unsigned long)pthread_self()) {
        d.active = false;
        d.n_traced = 0;
    }
    /* The tracers saved stay: an entry whose thread is not here is only
     * compared, and dropped at the next deferral (save_all). */
}

/* Opcode events for this frame.  3.13's f_trace_opcodes setter
 * instruments the code only for a frame that has an f_trace (without one,
 * a frame under a C tracer got opcode events only now and then, and the
 * bound forced delivery at unsafe places): give it a do-nothing one. */
static void trace_opcodes(PyObject *frame)
{
    if (d.n_traced == MAX_TRACED)
        return;
    bool set_f_trace = false;
    if (lg_py_minor >= 13 && lg_safepoint_f_trace_stub) {
        PyObject *old = lg_py.GetAttrString(frame, "f_trace");
        if (old == lg_py.None)
            set_f_trace = lg_py.SetAttrString(frame, "f_trace", lg_safepoint_f_trace_stub) == 0;
        lg_py_xdecref(old);
        lg_py.Clear();
    }
    if (lg_py.SetAttrString(frame, "f_trace_opcodes", lg_py.True) != 0) {
        lg_py.Clear();
        if (set_f_trace && lg_py.SetAttrString(frame, "f_trace", lg_py.None) != 0)
            lg_py.Clear();
        return;
    }
    lg_py.IncRef(frame);
    d.set_f_trace[d.n_traced] = set_f_trace;
    d.traced[d.n_traced++] = frame;
}

static bool trace_one(PyObject *f, void *unused)
{
    (void)unused;
    if (d.n_traced >= MAX_TRACED)
        return true;
    trace_opcodes(f);
    return false;
}

static void trace_stack(PyObject *frame)
{
    lg_safepoint_each_frame(frame, MAX_TRACED, trace_one, NULL);
}

static int tracer(PyObject *obj, void *frame, int what, PyObject *arg);

/* The trace fields of `tstate`: c_tracefunc, and c_traceobj two pointers on. */
static void **trace_fields(void *tstate)
{
    return (void **)tstate + trace_field();
}

static struct saved_tracer *saved_of(void *tstate)
{
    for (int i = 0; i < n_saved; i++)
        if (saved[i].tstate == tstate)
            return &saved[i];
    return NULL;
}

static void forget(struct saved_tracer *s)
{
    lg_py_xdecref(s->obj);
    *s = saved[--n_saved];
}

/* Before ours replaces it: the tracer of `tstate` (kept if it already runs
 * ours, from an earlier deferral).  False when there is no room. */
static bool save(void *tstate)
{
    void **field = trace_fields(tstate);
    struct saved_tracer *s = saved_of(tstate);
    if (s && *field == (void *)tracer)
        return true;
    if (s)
        forget(s); /* the thread replaced ours since: what it runs now */
    if (n_saved == MAX_THREADS)
        return false;
    s = &saved[n_saved++];
    s->tstate = tstate;
    *(void **)&s->fn = field[0];
    s->obj = field[2];
    if (s->obj)
        lg_py.IncRef(s->obj); /* PyEval_SetTrace drops the thread's reference */
    return true;
}

/* After ours was installed on `tstate` (NULL: on every thread saved): if
 * one does not hold it where we read, the layout is not the one we know,
 * and what we read is not a tracer: chain and put back nothing (those
 * threads end with none, as the interpreter had no tracer to keep). */
static void check_layout(void *tstate)
{
    bool known = true;
    for (int i = 0; i < n_saved; i++)
        if (!tstate || saved[i].tstate == tstate)
            known = known && trace_fields(saved[i].tstate)[0] == (void *)tracer;
    for (int i = 0; !known && i < n_saved; i++) {
        lg_py_xdecref(saved[i].obj);
        saved[i].fn = NULL;
        saved[i].obj = NULL;
    }
}

/* Install the tracer on the current thread state, keeping the one there. */
static void install(void)
{
    void *tstate = lg_py.ThreadStateGet();
    bool kept = save(tstate);
    lg_py.SetTrace(tracer, NULL);
    if (kept)
        check_layout(tstate);
}

/* 3.12+, for another thread: each thread's own tracer saved (false: more
 * threads than we can keep), before install_all(). */
static bool save_all(void)
{
    for (int i = 0; i < n_saved;) { /* threads gone, or that replaced ours */
        bool live = false;
        for (void *t = lg_py.ThreadHead(lg_py.InterpreterMain()); t && !live; t = lg_py.ThreadNext(t))
            live = t == saved[i].tstate;
        if (live && trace_fields(saved[i].tstate)[0] == (void *)tracer)
            i++;
        else
            forget(&saved[i]);
    }
    for (void *t = lg_py.ThreadHead(lg_py.InterpreterMain()); t; t = lg_py.ThreadNext(t))
        if (!save(t))
            return false; /* entries of threads that do not run ours: refreshed by save() */
    return true;
}

/* Ours on every thread (after save_all). */
static void install_all(void)
{
    lg_py.SetTraceAllThreads(tracer, NULL);
    check_layout(NULL);
}

/* The calling thread gets its own tracer back. */
static void put_back_here(void)
{
    struct saved_tracer *s = saved_of(lg_py.ThreadStateGet());
    lg_py.SetTrace(s ? s->fn : NULL, s ? s->obj : NULL);
    if (s)
        forget(s);
}

/* On the target thread: the tracers put back (or left to put back). */
static void untrace(void)
{
    void *here = lg_py.ThreadStateGet();
    bool others_had_one = false;
    for (int i = 0; d.all_threads && i < n_saved; i++)
        others_had_one = others_had_one || (saved[i].tstate != here && saved[i].fn);
    if (d.all_threads && !others_had_one) {
        lg_py.SetTraceAllThreads(NULL, NULL); /* ours off everywhere at once */
        for (int i = n_saved - 1; i >= 0; i--)
            if (saved[i].tstate != here)
                forget(&saved[i]);
    }
    put_back_here(); /* the others, if any, at their next event (tracer) */
}

/* Nothing deferred any more: the frames' opcode events off. */
static void stop_tracing_frames(void)
{
    PyObject *type, *value, *tb;
    lg_py.Fetch(&type, &value, &tb);
    for (int i = 0; i < d.n_traced; i++) {
        if (lg_py.SetAttrString(d.traced[i], "f_trace_opcodes", lg_py.False) != 0)
            lg_py.Clear();
        if (d.set_f_trace[i] && lg_py.SetAttrString(d.traced[i], "f_trace", lg_py.None) != 0)
            lg_py.Clear();
        lg_py.DecRef(d.traced[i]);
    }
    d.n_traced = 0;
    lg_py.Restore(type, value, tb);
}

static void stop(void)
{
    if (!d.active)
        return;
    d.active = false;
    untrace();
    stop_tracing_frames();
}

static int deliver(PyObject *frame, bool forced)
{
    uint64_t waited = lg_now() - d.since;
    const struct lg_safepoint_ops *ops = d.ops;
    stop();
    if (forced) {
        char where[160];
        lg_safepoint_where_is(frame, where, sizeof where);
        /* Ordinary code is held back too until it reaches a call: a loop
         * that calls nothing never does, and protected code is not to blame. */
        if (lg_safepoint_protected_frame(frame))
            lg_log("%s forced inside protected code after %.1f ms (%s): the deferral bound",
                   d.what, (double)waited / 1e6, where);
        else
            lg_log("%s forced after %.1f ms without reaching a call (%s): the deferral bound",
                   d.what, (double)waited / 1e6, where);
    }
    return ops->raise_now() < 0 ? -1 : 0;
}

/* A thread that is not (or no longer) the target: its own tracer gets the
 * event; once nothing is deferred, it is put back first. */
static int not_ours(PyObject *frame, int what, PyObject *arg)
{
    struct saved_tracer *s = saved_of(lg_py.ThreadStateGet());
    py_tracefunc fn = s ? s->fn : NULL;
    PyObject *obj = s ? s->obj : NULL;
    bool put_back = !d.active;
    if (put_back) {
        if (obj)
            lg_py.IncRef(obj); /* for the call below */
        put_back_here();
    }
    int r = fn ? fn(obj, frame, what, arg) : 0;
    if (put_back)
        lg_py_xdecref(obj);
    return r;
}

static int tracer(PyObject *obj, void *frame, int what, PyObject *arg)
{
    (void)obj;
    if (!d.active || lg_py.GetThreadIdent() != d.ident)
        return not_ours(frame, what, arg);
    struct saved_tracer *own = saved_of(lg_py.ThreadStateGet());
    /* The target's own tracer: every event but the opcode events we asked for. */
    if (own && own->fn && what != TRACE_OPCODE && own->fn(own->obj, frame, what, arg) < 0)
        return -1;
    if (!d.active) /* its tracer left a guard, say: stopped meanwhile */
        return 0;
    if (!d.ops->due()) {
        stop(); /* the guard was left meanwhile */
        return 0;
    }
    PyObject *f = frame;
    if (what == TRACE_CALL) {
        trace_opcodes(f);
        return lg_safepoint_may_raise(f, LG_SP_AT_START, d.ident) ? deliver(f, false) : 0;
    }
    if (what != TRACE_OPCODE)
        return 0;
    if (lg_safepoint_may_raise(f, LG_SP_AT_OPCODE, d.ident))
        return deliver(f, false);
    if (++d.opcodes >= BOUND_OPCODES && lg_now() - d.since >= BOUND_NS)
        return deliver(f, true);
    return 0;
}

static void begin(const struct lg_safepoint_ops *ops, const char *what, unsigned long ident)
{
    d.active = true;
    d.ops = ops;
    snprintf(d.what, sizeof d.what, "%s", what);
    d.since = lg_now();
    d.opcodes = 0;
    d.ident = ident;
    d.all_threads = false;
}

bool lg_safepoint_defer(const struct lg_safepoint_ops *ops, const char *what)
{
    if (!lg_safepoint_prepare())
        return false;
    lg_wait_sites_find();
    PyObject *frame = lg_py.GetFrame();
    unsigned long me = lg_py.GetThreadIdent();
    if (d.active) {
        /* A later step while deferred: the rule again, never a second
         * tracer; another thread's deferral: this one at once. */
        if (d.ident != me)
            return false;
        d.ops = ops;
        if (frame && !lg_safepoint_may_raise(frame, LG_SP_IN_HANDLER, me))
            return true;
        stop();
        return false;
    }
    if (!frame || lg_safepoint_may_raise(frame, LG_SP_IN_HANDLER, me))
        return false;
    begin(ops, what, me);
    trace_stack(frame); /* before the tracer: 3.12+ instrument opcodes then */
    install();
    return true;
}

/* The innermost frame of thread `ident` (a new reference, NULL if none)
 * and, before 3.12, its thread state (found by that frame: the thread
 * ident is no public field). */
static PyObject *target_of(unsigned long ident, void **tstate)
{
    PyObject *sys = lg_py.ImportModule("sys"), *frames = NULL, *key = NULL, *frame = NULL;
    PyObject *fn = sys ? lg_py.GetAttrString(sys, "_current_frames") : NULL;
    if (fn && (frames = lg_py.CallFunction(fn, NULL)) && (key = lg_py.LongFromUnsignedLong(ident))
        && (frame = lg_py.DictGetItem(frames, key)))
        lg_py.IncRef(frame);
    lg_py_xdecref(key);
    lg_py_xdecref(frames);
    lg_py_xdecref(fn);
    lg_py_xdecref(sys);
    lg_py.Clear();
    *tstate = NULL;
    for (void *t = frame && lg_py_minor < 12 ? lg_py.ThreadHead(lg_py.InterpreterMain()) : NULL;
         t && !*tstate; t = lg_py.ThreadNext(t)) {
        PyObject *f;
        if (lg_py.ThreadStateGetFrame) {
            f = lg_py.ThreadStateGetFrame(t);
            lg_py_xdecref(f); /* only compared */
        } else {
            f = ((PyObject **)t)[3]; /* 3.8: prev, next, interp, frame */
        }
        if (f == frame)
            *tstate = t;
    }
    if (frame && lg_py_minor < 12 && !*tstate) {
        lg_py.DecRef(frame);
        frame = NULL;
    }
    return frame;
}

bool lg_safepoint_defer_thread(unsigned long ident, const struct lg_safepoint_ops *ops,
                               const char *what)
{
    if (!lg_safepoint_prepare())
        return false;
    if (d.active) {
        /* A later step for the thread being traced: the rule again, never
         * a second tracer; another thread's deferral: this one at once. */
        if (d.ident != ident)
            return false;
        d.ops = ops; /* its tracer raises at the next safe point */
        return true;
    }
    lg_wait_sites_find();
    void *tstate;
    PyObject *frame = target_of(ident, &tstate);
    if (!frame)
        return false;
    bool now = lg_safepoint_may_raise(frame, LG_SP_IN_HANDLER, ident)
        || (lg_py_minor >= 12 && (!lg_py.SetTraceAllThreads || !save_all()));
    if (!now) {
        begin(ops, what, ident);
        trace_stack(frame);
    }
    lg_py.DecRef(frame);
    if (now)
        return false;
    if (lg_py_minor >= 12) {
        d.all_threads = true;
        install_all();
    } else {
        /* The target is parked and we hold the GIL: nothing runs on it. */
        void *mine = lg_py.ThreadStateSwap(tstate);
        install();
        lg_py.ThreadStateSwap(mine);
    }
    return true;
}

int libguard_package_deferred_exit(void)
{
    if (lg_safepoint_depth_leave() || !d.active || d.ident != lg_py.GetThreadIdent())
        return 0;
    if (!d.ops->due()) {
        stop();
        return 0;
    }
    PyObject *frame = lg_py.GetFrame();
    if (frame && lg_safepoint_protected_frame(frame))
        return 0;
    return deliver(frame, false);
}
