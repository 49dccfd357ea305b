/* CPython support, for the rest of the library: the exception step of the
 * ladder raises ExecutionTimeout / MemoryLimitExceeded in the interpreter's
 * threads (lib/py/).  Found at run time (dlsym), so libguard links no
 * libpython. */
#ifndef LIBGUARD_PYTHON_H
#define LIBGUARD_PYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Called once by the preload constructor when it armed a guard: if this
 * process contains CPython 3.8+, arrange for the route to be installed once
 * the interpreter has started (and installs lg_default_route).  The Python
 * package's import does it in a running interpreter (guard-package.h). */
void lg_python_setup(int python_signal);

/* At a guard's first step, on the watchdog: ask for the Python stacks of
 * the interpreter's threads, to be logged by the thread that delivers the
 * exception to `tid` (lg_py_write_due_stacks, GIL held: frames do not
 * change under it).  `raising`: this step raises through the interpreter's
 * route; nobody else holds the GIL for us.  Reads no frame and calls no C
 * API.  Returns 0 when there is no CPython, 1 when asked, -1 when no stack
 * can be had (why says why). */
int lg_python_stacks_ask(pid_t tid, bool raising, char *why, size_t size);

#endif
