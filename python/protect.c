/* The program's own critical sections: libguard.deferred() and
 * @libguard.protected.  See core.h.  The marks live in libguard.so
 * (lib/py/safepoint.c), where the decision that reads them is. */
#include "core.h"

#include "guard-package.h"

static PyObject *Deferred_enter(PyObject *self, PyObject *unused)
{
    (void)unused;
    libguard_package_deferred_enter();
    Py_INCREF(self);
    return self;
}

static PyObject *Deferred_exit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    (void)args;
    (void)nargs;
    if (libguard_package_deferred_exit() < 0)
        return NULL; /* the exception held back inside the block */
    Py_RETURN_FALSE;
}

static PyMethodDef Deferred_methods[] = {
    { "__enter__", Deferred_enter, METH_NOARGS, NULL },
    { "__exit__", (PyCFunction)(void (*)(void))Deferred_exit, METH_FASTCALL, NULL },
    { NULL, NULL, 0, NULL },
};

PyTypeObject DeferredType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "libguard.Deferred",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The context manager libguard.deferred() returns (one object, reusable, nests).",
    .tp_methods = Deferred_methods,
};
/* One object for every `with deferred():` (it keeps no state): no
 * allocation on the way in. */
static struct { PyObject_HEAD } deferred_singleton = { PyObject_HEAD_INIT(&DeferredType) };

PyObject *deferred(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    Py_INCREF((PyObject *)&deferred_singleton);
    return (PyObject *)&deferred_singleton;
}

PyObject *protected(PyObject *self, PyObject *fn)
{
    (void)self;
    PyObject *target = PyObject_GetAttrString(fn, "__func__"); /* a method */
    if (!target) {
        PyErr_Clear();
        Py_INCREF(fn);
        target = fn;
    }
    PyObject *code = PyObject_GetAttrString(target, "__code__");
    Py_DECREF(target);
    if (!code || !PyCode_Check(code)) {
        Py_XDECREF(code);
        PyErr_Format(PyExc_TypeError, "libguard.protected marks a Python function or method "
                     "(with a __code__), not %.100s", Py_TYPE(fn)->tp_name);
        return NULL;
    }
    int r = libguard_package_protect(code);
    Py_DECREF(code);
    if (r < 0)
        return NULL;
    Py_INCREF(fn);
    return fn;
}
