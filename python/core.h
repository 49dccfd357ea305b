/* libguard._core, the C half of the `libguard` Python package (the
 * package's __init__.py re-exports it): resiliparse.process_guard's API
 * over libguard's core (libguard.so.0, linked, so that with the shim
 * preloaded there is still one core, one watchdog and one set of guards).
 *
 * - Entering and leaving a guard is guard_time_begin/guard_mem_begin and
 *   guard_end, from C methods (no Python frame): well under a microsecond.
 * - progress() is guard_progress(): the calling thread's innermost time
 *   guard, else the shim's process guard, in constant time.
 * - The exception step is the library's (lib/py/): it makes the exception
 *   classes, which this module exports, and raises them in the guard's
 *   thread.  At import the module attaches to it through the library's
 *   private entry point (guard-package.h), giving what only it has: the
 *   address of the GIL's switch interval on 3.12+, and _helpers._report,
 *   which reports each step through logging and warnings when the core
 *   writes no line of its own (LIBGUARD_LOG unset, no shim guards).
 * - Signal steps are the core's: tgkill to the guard's thread.  CPython runs
 *   signal handlers in the main thread only, so for a guard in another
 *   thread SIGINT raises KeyboardInterrupt in the MAIN thread, and SIGTERM
 *   (unless handled) ends the process, as with Resiliparse.
 *
 * Files: guards.c (the guard types, entering and leaving, the decorator),
 * args.c (arguments, Resiliparse's defaults), progress.c, module.c.  Every
 * object here is used with the GIL held. */
#ifndef LIBGUARD_PY_CORE_H
#define LIBGUARD_PY_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <guard.h>

#ifndef LIBGUARD_VERSION /* the one in configure.ac, from the build */
#error "define LIBGUARD_VERSION (the build does: Makefile.am, setup.py)"
#endif

#pragma GCC visibility push(hidden) /* the module exports PyInit__core only */

/* Resiliparse: "the next signal/exception will wait at least another
 * [interval], even if grace_period is zero": max(10, grace_period) ms. */
#define MIN_GRACE_MS 10

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

typedef struct {
    PyObject_HEAD
    GuardObject *guard;
    PyObject *func;
    PyObject *dict;
    PyObject *weakrefs;
} GuardedObject;

extern PyTypeObject TimeGuardType, MemGuardType, GuardedType, LoopType;

/* guards.c */
int guard_enter(GuardObject *g);
void guard_exit(GuardObject *g);
/* Progress on every entry of g (in every thread that entered it). */
void guard_progress_obj(GuardObject *g);
extern PyObject *reduce_guarded; /* libguard._helpers._reduce_guarded */
extern PyObject *update_wrapper; /* functools.update_wrapper */

/* args.c */
PyObject *TimeGuard_new(PyTypeObject *type, PyObject *args, PyObject *kwargs);
PyObject *MemGuard_new(PyTypeObject *type, PyObject *args, PyObject *kwargs);
PyObject *time_guard(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *mem_guard(PyObject *self, PyObject *args, PyObject *kwargs);

/* progress.c */
PyObject *progress(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames);
PyObject *progress_loop(PyObject *self, PyObject *args, PyObject *kwargs);

/* protect.c: the program's own sections (held back like protected code) */
extern PyTypeObject DeferredType;
PyObject *deferred(PyObject *self, PyObject *unused);
PyObject *protected(PyObject *self, PyObject *fn);

#pragma GCC visibility pop

#endif
