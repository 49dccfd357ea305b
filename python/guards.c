/* The guard types (TimeGuard, MemGuard), entering and leaving them, and the
 * decorator (a guarded function).  See core.h. */
#include "core.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "guard-package.h"

#define MAX_ENTRIES 1024 /* libguard's guard table */

PyObject *reduce_guarded, *update_wrapper;

/* Every armed guard of the package, in the order they were entered.  Read
 * and written with the GIL held only. */
struct entry {
    struct guard *handle;
    pthread_t thread;
    GuardObject *owner;           /* borrowed: an armed guard's owner is alive */
};
static struct entry entries[MAX_ENTRIES];
static int n_entries;

/* ---- entering and leaving ------------------------------------------------- */

int guard_enter(GuardObject *g)
{
    if (n_entries == MAX_ENTRIES) {
        PyErr_SetString(PyExc_RuntimeError, "too many guards armed at once (1024)");
        return -1;
    }
    struct guard *h;
    if (g->kind == GUARD_TIME) {
        struct guard_time_options o = GUARD_TIME_OPTIONS_INIT;
        o.timeout_ms = g->timeout_ms;
        o.grace_period_ms = g->grace_ms;
        o.interrupt = g->interrupt;
        o.send_kill = g->send_kill;
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
    entries[n_entries++] = (struct entry){ h, pthread_self(), g };
    g->active++;
    return 0;
}

void guard_exit(GuardObject *g)
{
    pthread_t me = pthread_self();
    for (int i = n_entries - 1; i >= 0; i--) {
        struct entry *e = &entries[i];
        if (e->owner != g || !pthread_equal(e->thread, me))
            continue;
        guard_end(e->handle);
        libguard_package_guard_left(e->handle, PyThreadState_Get()->async_exc != NULL);
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

void guard_progress_obj(GuardObject *g)
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

PyTypeObject GuardedType = {
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

PyTypeObject TimeGuardType = {
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
PyTypeObject MemGuardType = {
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
