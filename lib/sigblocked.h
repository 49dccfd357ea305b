/* Whether a thread blocks a signal, as the kernel sees it now: a signal sent
 * to a thread that blocks it stays pending until the thread unblocks it, so
 * a route that relies on it must take another way there. */
#ifndef LIBGUARD_SIGBLOCKED_H
#define LIBGUARD_SIGBLOCKED_H

#include <stdbool.h>
#include <sys/types.h>

/* Thread `tid` of this process blocks `signo` (SigBlk of
 * /proc/self/task/TID/status).  False when that cannot be read.  A few
 * microseconds (one open and read): for the watchdog at a step, not for hot
 * paths.  Never blocks on the program. */
bool lg_signal_blocked(pid_t tid, int signo);

#endif
