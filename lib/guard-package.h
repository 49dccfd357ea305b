/* libguard.so's private entry points for its own Python package (the
 * extension libguard._core): version node LIBGUARD_PRIVATE_PACKAGE_1 of
 * libguard.map.  Not installed, not the public API (guard.h): they change
 * with the library, and the node's name with them, so a package built for
 * another libguard fails to load instead of misbehaving.
 *
 * The library delivers the exceptions (lib/py/); the package gives it only
 * what it alone has, and gets back the exception classes it exports. */
#ifndef LIBGUARD_GUARD_PACKAGE_H
#define LIBGUARD_GUARD_PACKAGE_H

#include <stddef.h>

struct guard;

struct libguard_package_attach {
    size_t size;                   /* sizeof(struct libguard_package_attach) */
    /* in */
    unsigned long *gil_interval_us;/* 3.12+: &interp->ceval.gil->interval; NULL before */
    void *report;                  /* PyObject *: report(kind, step, message, tid), called
                                    * with the GIL held as a step is raised, when the core
                                    * writes no line of its own */
    /* out: borrowed references, kept for good */
    void *base_class, *timeout_class, *memory_class;
    int python_signal;             /* LIBGUARD_PYTHON_SIGNAL; 0: none (a bad setting) */
};

#define LIBGUARD_PACKAGE_ENTRY __attribute__((visibility("default")))

/* At each import: the problems of the LIBGUARD_* settings (one line each,
 * as the shim prints them, no final newline) and whether
 * LIBGUARD_ON_ERROR=warn; NULL when none. */
LIBGUARD_PACKAGE_ENTRY const char *libguard_package_settings_problems(int *warn);

/* At import, GIL held, once the settings' problems allow it: set up the
 * exception route (taking the Python signal on the main thread, unless the
 * program has it or the settings were bad).  0, or -1 with a Python
 * exception set. */
LIBGUARD_PACKAGE_ENTRY int libguard_package_attach(struct libguard_package_attach *a);

/* After guard_end(g), GIL held, in the thread that left the guard: an
 * exception set for it that has not been raised yet is dropped.
 * `async_pending`: the thread state has an asynchronous exception set (only
 * then is it cleared: 3.11 signals the interpreter even for a NULL one, and
 * nothing clears that, so every eval-breaker check would run for nothing,
 * and a thread under the deferral tracer spins at a RESUME). */
LIBGUARD_PACKAGE_ENTRY void libguard_package_guard_left(struct guard *g, int async_pending);

/* libguard.deferred(): the calling thread enters / leaves a section where
 * the exceptions are held back (they nest; no allocation, no lock).  Leaving
 * the outermost one raises the exception held back meanwhile: -1 with it
 * set, else 0.  GIL held. */
LIBGUARD_PACKAGE_ENTRY void libguard_package_deferred_enter(void);
LIBGUARD_PACKAGE_ENTRY int libguard_package_deferred_exit(void);

/* @libguard.protected: mark code object `code` (a PyObject *) protected
 * wherever it runs.  0, or -1 with a Python exception set.  GIL held. */
LIBGUARD_PACKAGE_ENTRY int libguard_package_protect(void *code);

#endif
