/* progress(ctx=None) and progress_loop(it, ctx=None).  See core.h. */
#include "core.h"

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

PyObject *progress(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
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

PyObject *progress_loop(PyObject *self, PyObject *args, PyObject *kwargs)
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

PyTypeObject LoopType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "libguard.progress_loop",
    .tp_basicsize = sizeof(LoopObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = Loop_next,
    .tp_traverse = Loop_traverse,
    .tp_dealloc = Loop_dealloc,
};
