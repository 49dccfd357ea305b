/* CPython support for the shim: the exception step of the ladder raises
 * ExecutionTimeout / MemoryLimitExceeded in the interpreter's main thread.
 * Found at run time (dlsym), so libguard links no libpython. */
#ifndef LIBGUARD_PYTHON_H
#define LIBGUARD_PYTHON_H

/* Called once by the preload constructor when it armed a guard: if this
 * process contains CPython 3.8+, arrange for the route to be installed once
 * the interpreter has started (and installs lg_default_route). */
void lg_python_setup(int python_signal);

#endif
