/* The Python stacks of every thread, for the log at a guard's first step
 * (lib/stack.c calls lg_python_stacks, declared in python.h).  We use
 * faulthandler's own dumper, which reads the frames without the GIL or any
 * lock: exported by some builds, a local symbol of others, found then in
 * the symbol table of the object that defines Py_IsInitialized.
 *
 * Owned here: the dumper's functions and where to find its symbol. */
#ifndef LIBGUARD_PY_STACKS_H
#define LIBGUARD_PY_STACKS_H

#include <stdbool.h>

/* This process contains a CPython, supported or not (set by startup.c). */
extern bool lg_py_found;

/* Find the public pieces with dlsym now, not on the watchdog: dlsym and
 * dladdr take the loader's lock, which a stuck program may hold.  Once,
 * after lg_py_resolve. */
void lg_py_stacks_setup(void);

/* The calling thread is the main thread: the dumps mark its stack as the
 * "Current thread".  GIL held (or in the fork child). */
void lg_py_stacks_main_thread(void);

#endif
