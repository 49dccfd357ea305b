/* The module libguard._core: its functions, and its import, which attaches
 * to the library's exception route.  See core.h. */
#include "core.h"

#if PY_VERSION_HEX >= 0x030C0000
/* Only for the address of the GIL's switch interval, which the library's
 * helper threads shorten while they wait (3.12 moved it into the
 * interpreter, where only CPython's internal headers say where). */
#define Py_BUILD_CORE 1
#undef _PyGC_FINALIZED /* the public macro clashes with the core's function */
#include <internal/pycore_interp.h>
#undef Py_BUILD_CORE
#endif

#include "guard-package.h"

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
    { "deferred", deferred, METH_NOARGS,
      "deferred($module, /)\n--\n\nA context manager: ExecutionTimeout and MemoryLimitExceeded "
      "are held back while the thread is inside the block (they nest), and raised as it leaves "
      "the outermost one; bounded: forced after 10 ms and 1000 instructions inside." },
    { "protected", protected, METH_O,
      "protected($module, fn, /)\n--\n\nDecorator: ExecutionTimeout and MemoryLimitExceeded are "
      "held back while a call of fn (and whatever it calls) runs; returns fn itself. Bounded "
      "as deferred()." },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "libguard._core",
    .m_doc = "Process guards (a faster drop-in for resiliparse.process_guard) over libguard's "
             "core: time_guard, mem_guard, progress, progress_loop, deferred, protected, InterruptType, "
             "ExecutionTimeout, MemoryLimitExceeded.",
    .m_size = -1,
    .m_methods = module_methods,
};

/* Attach to the library's exception route, and export its classes. */
static int attach(PyObject *module, PyObject *helpers)
{
    struct libguard_package_attach a = { .size = sizeof a };
#if PY_VERSION_HEX >= 0x030C0000
    a.gil_interval_us = &PyInterpreterState_Main()->ceval.gil->interval;
#endif
    PyObject *report = PyObject_GetAttrString(helpers, "_report");
    if (!report)
        return -1;
    a.report = report;
    int status = libguard_package_attach(&a);
    Py_DECREF(report); /* the library keeps its own reference */
    if (status < 0)
        return -1;
    PyObject *d = PyModule_GetDict(module);
    if (PyDict_SetItemString(d, "ResiliparseGuardException", a.base_class) < 0
        || PyDict_SetItemString(d, "ExecutionTimeout", a.timeout_class) < 0
        || PyDict_SetItemString(d, "MemoryLimitExceeded", a.memory_class) < 0
        || PyModule_AddIntConstant(module, "_python_signal", a.python_signal) < 0)
        return -1;
    return 0;
}

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
        || PyType_Ready(&GuardedType) < 0 || PyType_Ready(&LoopType) < 0
        || PyType_Ready(&DeferredType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    PyObject *helpers = NULL, *functools = NULL;
    Py_INCREF(&TimeGuardType);
    Py_INCREF(&MemGuardType);
    if (PyModule_AddStringConstant(m, "__version__", LIBGUARD_VERSION) < 0
        || PyModule_AddObject(m, "TimeGuard", (PyObject *)&TimeGuardType) < 0
        || PyModule_AddObject(m, "MemGuard", (PyObject *)&MemGuardType) < 0)
        goto fail;
    if (!(helpers = PyImport_ImportModule("libguard._helpers"))
        || !(reduce_guarded = PyObject_GetAttrString(helpers, "_reduce_guarded"))
        || !(functools = PyImport_ImportModule("functools"))
        || !(update_wrapper = PyObject_GetAttrString(functools, "update_wrapper")))
        goto fail;
    if (attach(m, helpers) < 0)
        goto fail;
    Py_DECREF(helpers);
    Py_DECREF(functools);
    return m;
fail:
    Py_XDECREF(helpers);
    Py_XDECREF(functools);
    Py_DECREF(m);
    return NULL;
}
