/* Resident memory.  See memory.h. */
#include "config.h"
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activity.h"
#include "log.h"

/* Kept open so a sample is one pread (a few microseconds), renewed after
 * fork: /proc/self was resolved to the parent when it was opened. */
static _Atomic int statm_fd = -1;
static bool said_unreadable;

uint64_t lg_memory_resident(void)
{
    int fd = atomic_load(&statm_fd);
    if (fd < 0) {
        /* The watchdog and a thread beginning a relative memory guard may
         * both get here: one descriptor wins, the other is closed. */
        fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        int none = -1;
        if (fd >= 0 && !atomic_compare_exchange_strong(&statm_fd, &none, fd)) {
            close(fd);
            fd = none;
        }
        if (fd < 0) {
            if (!said_unreadable)
                lg_log("cannot open /proc/self/statm (%s): the memory guard is blind",
                       strerror(errno));
            said_unreadable = true;
            return 0;
        }
    }
    char buf[128];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    atomic_fetch_add(&lg_own_read_bytes, (uint64_t)n);
    buf[n] = '\0';
    return lg_memory_parse_statm(buf);
}

void lg_memory_forget(void)
{
    int fd = atomic_exchange(&statm_fd, -1);
    if (fd >= 0)
        close(fd);
}

/* Sampling sooner near the limit.  Until growth is seen, assume the program
 * may allocate ASSUMED_RATE, so that even a sudden burst is caught within
 * SLACK of the limit; far below the limit (headroom + SLACK larger than what
 * that rate fills in one interval) the interval alone sets the pace. */
#define ASSUMED_BYTES_PER_NS (1024.0 * 1024 * 1024 / 1e9) /* 1 GiB/s */
#define SLACK_BYTES (32.0 * 1024 * 1024)
#define MIN_DELAY_NS 1000000ull                           /* 1 ms */

uint64_t lg_memory_next_delay(uint64_t headroom, double bytes_per_ns,
                              uint64_t interval_ns)
{
    double rate = bytes_per_ns * 1.5 > ASSUMED_BYTES_PER_NS ? bytes_per_ns * 1.5
                                                            : ASSUMED_BYTES_PER_NS;
    double delay = ((double)headroom + SLACK_BYTES) / rate;
    if (delay < MIN_DELAY_NS)
        delay = MIN_DELAY_NS;
    if (delay > (double)interval_ns)
        return interval_ns;
    return (uint64_t)delay;
}
