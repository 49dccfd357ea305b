/* CPython support, for the rest of the library: the exception step of the
 * ladder raises ExecutionTimeout / MemoryLimitExceeded in the interpreter's
 * threads (lib/py/).  Found at run time (dlsym), so libguard links no
 * libpython. */
#ifndef LIBGUARD_PYTHON_H
#define LIBGUARD_PYTHON_H

#include <stddef.h>
#include <sys/types.h>

/* Called once by the preload constructor when it armed a guard: if this
 * process contains CPython 3.8+, arrange for the route to be installed once
 * the interpreter has started (and installs lg_default_route).  The Python
 * package's import does it in a running interpreter (guard-package.h). */
void lg_python_setup(int python_signal);

/* The stacks of the interpreter's threads, as faulthandler prints them, to fd
 * (the target, when it is the main thread, is the "Current thread").  On the
 * watchdog; never waits for the GIL.  Returns 0 when there is no CPython,
 * 1 when dumped with the target marked, 2 dumped unmarked, -1 when no stack
 * can be had (why says why; fd < 0 is such a case). */
int lg_python_stacks(int fd, pid_t tid, char *why, size_t size);

#endif
