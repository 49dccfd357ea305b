/* What libguard.so offers its Python package only: private entry points
 * that python/libguard.c declares itself (not in guard.h, not the public
 * API; they may change with any release), and the keeping of a bad setting
 * for the package's import. */
#ifndef LIBGUARD_PACKAGE_H
#define LIBGUARD_PACKAGE_H

#include <stdbool.h>
#include <sys/types.h>

#define LG_PACKAGE_ENTRY __attribute__((visibility("default")))

/* The package's exception route: does thread `tid` of this process block
 * `signo` now?  Then sending it would leave it pending: the route takes its
 * slower way (lg_signal_blocked). */
LG_PACKAGE_ENTRY int libguard_package_signal_blocked(pid_t tid, int signo);

/* At each import of the package: the problems of the LIBGUARD_* settings
 * kept by lg_package_keep_problems (one line each, as the shim prints them,
 * no final newline) and whether LIBGUARD_ON_ERROR=warn; NULL when none. */
LG_PACKAGE_ENTRY const char *libguard_package_settings_problems(int *warn);

/* Called by the preload constructor with the problems of the settings
 * (lines "libguard: ...\n").  When libguard is being loaded into a running
 * Python interpreter (by the package's import, which links it), the process
 * must go on: keep them for the import to raise (or warn) and return true;
 * the environment's guards are then not armed.  Loaded at start (preloaded,
 * linked), return false: the shim's fail-closed exit applies. */
bool lg_package_keep_problems(const char *errors, bool warn);

#endif
