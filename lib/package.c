/* The Python package's private entry points.  See package.h. */
#include "config.h"
#include "package.h"

#include "sigblocked.h"

int libguard_package_signal_blocked(pid_t tid, int signo)
{
    return lg_signal_blocked(tid, signo);
}
