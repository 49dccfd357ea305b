/* Whether a thread blocks a signal, as the kernel sees it now: a signal sent
 * to a thread that blocks it stays pending until the thread unblocks it, so
 * a route that relies on it must take another way there. */
#ifndef LIBGUARD_SIGBLOCKED_H
#define LIBGUARD_SIGBLOCKED_H

#include <stdbool.h>
#include <sys/types.h>

/* Thread `tid` of this process blocks `signo` (SigBlk of
 * /proc/self/task/TID/status), and still does 10 ms later: a mask set for an
 * instant (CPython's around the vfork of a subprocess) does not count.
 * False when that cannot be read.  A few microseconds when the signal is not
 * blocked, up to 10 ms when it is: for the watchdog at a step, not for hot
 * paths.  Never waits for the program. */
bool lg_signal_blocked(pid_t tid, int signo);

#endif
