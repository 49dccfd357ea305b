/* Whether a thread blocks a signal.  See sigblocked.h. */
#include "config.h"
#include "sigblocked.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "activity.h"

static bool blocked_now(pid_t tid, int signo)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    if (lg_read_own_text(path, buf, sizeof buf) <= 0)
        return false;
    const char *line = strstr(buf, "\nSigBlk:");
    if (!line)
        return false;
    uint64_t mask = strtoull(line + 8, NULL, 16);
    return (mask >> (signo - 1)) & 1;
}

/* CPython blocks every signal for an instant around the vfork of each
 * subprocess: a step landing then must not switch routes.  Only a mask that
 * stays for LOOKS milliseconds counts. */
#define LOOKS 10

bool lg_signal_blocked(pid_t tid, int signo)
{
    if (signo < 1 || signo > 64)
        return false;
    for (int i = 0; i < LOOKS; i++) {
        if (!blocked_now(tid, signo))
            return false;
        struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };
        nanosleep(&ms, NULL);
    }
    return true;
}
