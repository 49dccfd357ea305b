/* The library's side of its Python package: the private entry points of
 * guard-package.h (package.c), and the keeping of a bad setting for the
 * package's import. */
#ifndef LIBGUARD_PACKAGE_H
#define LIBGUARD_PACKAGE_H

#include <stdbool.h>

/* Called by the preload constructor with the problems of the settings
 * (lines "libguard: ...\n").  When libguard is being loaded into a running
 * Python interpreter (by the package's import, which links it), the process
 * must go on: keep them for the import to raise (or warn) and return true;
 * the environment's guards are then not armed.  Loaded at start (preloaded,
 * linked), return false: the shim's fail-closed exit applies. */
bool lg_package_keep_problems(const char *errors, bool warn);

/* What the preload constructor found (preload.c): the signal
 * LIBGUARD_PYTHON_SIGNAL names (SIGURG by default; 0 when the settings were
 * bad, which leaves every signal to the program), and whether the core's
 * own log lines are wanted (LIBGUARD_LOG given, or process guards armed). */
int lg_preload_python_signal(void);
bool lg_preload_log_wanted(void);

#endif
