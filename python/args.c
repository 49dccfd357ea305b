/* Arguments: Python numbers to milliseconds, InterruptType, and the
 * constructors with Resiliparse's defaults (time_guard, mem_guard; TimeGuard
 * and MemGuard take milliseconds).  See core.h. */
#include "core.h"

#include <math.h>

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
    if (!(d >= 0) || !isfinite(d)) {
        PyErr_Format(PyExc_ValueError, "%s must be a number >= 0 (and finite), got %R", name, v);
        return -1;
    }
    /* 100 years of milliseconds (or as many KiB: 2.8 PiB), in `name`'s unit */
    if (d * unit > 3.1536e12) {
        char most[32];
        snprintf(most, sizeof most, "%.0f", 3.1536e12 / unit);
        PyErr_Format(PyExc_ValueError, "%s must be at most %s, got %R", name, most, v);
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
PyObject *TimeGuard_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
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
PyObject *MemGuard_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
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

/* ---- module functions ---------------------------------------------------- */

PyObject *time_guard(PyObject *self, PyObject *args, PyObject *kwargs)
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

PyObject *mem_guard(PyObject *self, PyObject *args, PyObject *kwargs)
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
