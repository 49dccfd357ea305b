/* Setting the CPython route up, by either way in: the shim's constructor,
 * before the interpreter starts (lg_python_setup, python.h), or the Python
 * package's import, in a running interpreter (lg_py_attach).  Both end in
 * lg_py_install on the main thread: the shim's through a built-in
 * sitecustomize and an audit hook, when the program's code is about to
 * run; the package's at once.  Owned here: the hook and sitecustomize. */
#ifndef LIBGUARD_PY_STARTUP_H
#define LIBGUARD_PY_STARTUP_H

#include <stdbool.h>

#include "py/capi.h"

/* The package attaches (GIL held): `signo` is the signal to take for the
 * main thread's exceptions (0: none), `interval_us` the address of the
 * GIL's switch interval on 3.12+ (else NULL), `report` the callable that
 * reports steps when the core's log is held (else NULL).  False, with a
 * Python exception set, when delivery cannot be set up. */
bool lg_py_attach(int signo, unsigned long *interval_us, PyObject *report);

#endif
