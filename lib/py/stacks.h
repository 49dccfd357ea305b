/* The Python stacks of every thread, for the log at a guard's first step
 * (lib/stack.c asks through lg_python_stacks_ask, declared in python.h).
 * We use faulthandler's own dumper, which takes no lock: exported by some
 * builds, a local symbol of others, found then in the symbol table of the
 * object that defines Py_IsInitialized.  It reads other threads' frames,
 * which their threads free as they run: only a thread holding the GIL
 * calls it, the one delivering the step's exception.
 *
 * Owned here: the dumper's functions, where to find its symbol, and the
 * threads whose stacks are due (asked by the watchdog, taken by the
 * deliverer). */
#ifndef LIBGUARD_PY_STACKS_H
#define LIBGUARD_PY_STACKS_H

#include <stdbool.h>
#include <sys/types.h>

/* This process contains a CPython, supported or not (set by startup.c). */
extern bool lg_py_found;

/* Find the public pieces with dlsym now, not on the watchdog: dlsym and
 * dladdr take the loader's lock, which a stuck program may hold.  Once,
 * after lg_py_resolve. */
void lg_py_stacks_setup(void);

/* The exception due to thread `tid` is being delivered: if the watchdog
 * asked for the stacks at its step, log them now (once).  GIL held, by
 * `tid` itself (its stack is then marked "Current thread") or by the
 * thread that raises in it. */
void lg_py_write_due_stacks(pid_t tid);

/* fork: no stack is due in the child. */
void lg_py_stacks_in_child(void);

#endif
