/* Holding an exception back until a safe point (safepoint.h): the
 * deferral tracer.  f_trace_opcodes on the stack's frames and a C trace
 * function (PyEval_SetTrace; for another thread on 3.12+,
 * PyEval_SetTraceAllThreads) that applies the decision (safepoint.c) at
 * each instruction and raises at the first yes, or at the bound. */
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

typedef int (*py_tracefunc)(PyObject *, void *, int, PyObject *);
enum { TRACE_CALL = 0, TRACE_OPCODE = 7 };

/* The c_tracefunc / c_traceobj fields of PyThreadState, in pointers (public
 * struct in cpython/pystate.h; checked after each install, see chain()). */
static int trace_field(void)
{
    return lg_py_minor <= 10 ? 8 : lg_py_minor <= 12 ? 9 : 11;
}

static void decref(PyObject *o)
{
    if (o)
        lg_py.DecRef(o);
}

static struct {
    bool active;
    const struct lg_safepoint_ops *ops;
    char what[32];
    uint64_t since;
    long opcodes;
    unsigned long ident;    /* the thread that gets it */
    bool all_threads;       /* 3.12+, another thread: PyEval_SetTraceAllThreads */
    py_tracefunc saved_fn;  /* the thread's own trace function, chained */
    PyObject *saved_obj;
    PyObject *traced[MAX_TRACED];
    bool set_f_trace[MAX_TRACED]; /* we gave it f_trace (3.13+) */
    int n_traced;
} d;

/* Only the forking thread is in the child: a deferral for another thread
 * is forgotten (its frames are leaked: touching them could run code of a
 * thread that is not here). */
void lg_safepoint_defer_in_child(void)
{
    if (d.active && d.ident != (unsigned long)pthread_self()) {
        d.active = false;
        d.n_traced = 0;
    }
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
        decref(old);
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

static void trace_stack(PyObject *frame)
{
    PyObject *f = frame;
    lg_py.IncRef(f);
    while (f && f != lg_py.None && d.n_traced < MAX_TRACED) {
        trace_opcodes(f);
        PyObject *back = lg_py.GetAttrString(f, "f_back");
        lg_py.DecRef(f);
        f = back;
    }
    decref(f);
    lg_py.Clear();
}

static int tracer(PyObject *obj, void *frame, int what, PyObject *arg);

/* The trace fields of `tstate` (NULL: none readable on this build). */
static py_tracefunc *trace_fields(void *tstate)
{
    return tstate ? (py_tracefunc *)((void **)tstate + trace_field()) : NULL;
}

/* Install the tracer on the current thread state, keeping the one there. */
static void install(void)
{
    py_tracefunc *field = trace_fields(lg_py.ThreadStateGet());
    d.saved_fn = *field;
    d.saved_obj = (PyObject *)((void **)field)[2];
    if (d.saved_obj)
        lg_py.IncRef(d.saved_obj);
    lg_py.SetTrace(tracer, NULL);
    if (*field != tracer) { /* not the layout we expected: chain nothing */
        decref(d.saved_obj);
        d.saved_fn = NULL;
        d.saved_obj = NULL;
    }
}

static void stop(void)
{
    if (!d.active)
        return;
    d.active = false;
    if (d.all_threads) {
        lg_py.SetTraceAllThreads(NULL, NULL);
    } else {
        lg_py.SetTrace(d.saved_fn, d.saved_obj);
        decref(d.saved_obj);
    }
    d.saved_fn = NULL;
    d.saved_obj = NULL;
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

static int deliver(PyObject *frame, bool forced)
{
    uint64_t waited = lg_now() - d.since;
    const struct lg_safepoint_ops *ops = d.ops;
    stop();
    if (forced) {
        char where[160];
        lg_safepoint_where_is(frame, where, sizeof where);
        lg_log("%s forced inside protected code after %.1f ms (%s): the deferral bound",
               d.what, (double)waited / 1e6, where);
    }
    return ops->raise_now() < 0 ? -1 : 0;
}

static int tracer(PyObject *obj, void *frame, int what, PyObject *arg)
{
    (void)obj;
    if (d.saved_fn && what != TRACE_OPCODE && d.saved_fn(d.saved_obj, frame, what, arg) < 0)
        return -1;
    if (!d.active || (d.all_threads && lg_py.GetThreadIdent() != d.ident))
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
    decref(key);
    decref(frames);
    decref(fn);
    decref(sys);
    lg_py.Clear();
    *tstate = NULL;
    for (void *t = frame && lg_py_minor < 12 ? lg_py.ThreadHead(lg_py.InterpreterMain()) : NULL;
         t && !*tstate; t = lg_py.ThreadNext(t)) {
        PyObject *f;
        if (lg_py.ThreadStateGetFrame) {
            f = lg_py.ThreadStateGetFrame(t);
            decref(f); /* only compared */
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
        || (lg_py_minor >= 12 && !lg_py.SetTraceAllThreads);
    if (!now) {
        begin(ops, what, ident);
        trace_stack(frame);
    }
    lg_py.DecRef(frame);
    if (now)
        return false;
    if (lg_py_minor >= 12) {
        d.all_threads = true;
        lg_py.SetTraceAllThreads(tracer, NULL);
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
