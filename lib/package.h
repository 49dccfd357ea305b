/* What libguard.so offers its Python package only: private entry points
 * that python/libguard.c declares itself (not in guard.h, not the public
 * API; they may change with any release). */
#ifndef LIBGUARD_PACKAGE_H
#define LIBGUARD_PACKAGE_H

#include <sys/types.h>

/* The package's exception route: does thread `tid` of this process block
 * `signo` now?  Then sending it would leave it pending: the route takes its
 * slower way (lg_signal_blocked). */
__attribute__((visibility("default"))) int libguard_package_signal_blocked(pid_t tid, int signo);

#endif
