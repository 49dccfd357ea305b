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
    unsigned long long size, resident;
    if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
        return 0;
    return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

void lg_memory_forget(void)
{
    int fd = atomic_exchange(&statm_fd, -1);
    if (fd >= 0)
        close(fd);
}

uint64_t lg_memory_parse_cgroup_limit(const char *text)
{
    if (strncmp(text, "max", 3) == 0)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || (*end && *end != '\n'))
        return 0;
    /* cgroup v1 writes a page-rounded LONG_MAX for "no limit" */
    if (v >= (1ull << 62))
        return 0;
    return v;
}

static uint64_t read_limit_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return lg_memory_parse_cgroup_limit(buf);
}

/* The memory limit of the cgroup this process is in, from /proc/self/cgroup:
 * "0::/path" (v2) or "N:memory:/path" (v1). */
static uint64_t cgroup_limit(void)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return 0;
    char line[1024];
    uint64_t limit = 0;
    while (!limit && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *controllers = c1 + 1, *path = c2 + 1;
        char file[1200];
        if (strcmp(line, "0") == 0 && !*controllers) {
            snprintf(file, sizeof file, "/sys/fs/cgroup%s/memory.max", path);
            limit = read_limit_file(file);
            if (!limit) { /* hybrid hierarchy */
                snprintf(file, sizeof file, "/sys/fs/cgroup/unified%s/memory.max", path);
                limit = read_limit_file(file);
            }
        } else if (strstr(controllers, "memory")) {
            snprintf(file, sizeof file, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", path);
            limit = read_limit_file(file);
        }
    }
    fclose(f);
    return limit;
}

static uint64_t mem_total(void)
{
    FILE *f = fopen("/proc/meminfo", "re");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return kib * 1024;
}

uint64_t lg_memory_available(const char **source)
{
    uint64_t limit = cgroup_limit();
    if (limit) {
        *source = "the cgroup's memory limit";
        return limit;
    }
    *source = "physical memory";
    return mem_total();
}

const char *lg_memory_resolve(const struct lg_size *size, uint64_t *bytes)
{
    if (!size->share_ppm) {
        *bytes = size->bytes;
        return NULL;
    }
    const char *source;
    uint64_t available = lg_memory_available(&source);
    if (!available)
        return "is a share, but neither a cgroup limit nor MemTotal can be read";
    *bytes = (uint64_t)((__uint128_t)available * size->share_ppm / 1000000);
    return NULL;
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
