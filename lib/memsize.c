/* Memory sizes read from the system.  See memsize.h. */
#include "config.h"
#include "memsize.h"
#include "procfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    char buf[64];
    return lg_read_file(path, buf, sizeof buf) > 0 ? lg_memory_parse_cgroup_limit(buf) : 0;
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

uint64_t lg_memory_parse_statm(const char *text)
{
    unsigned long long size, resident;
    if (sscanf(text, "%llu %llu", &size, &resident) != 2)
        return 0;
    return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t lg_memory_resident_of(pid_t pid)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    return lg_read_file(path, buf, sizeof buf) > 0 ? lg_memory_parse_statm(buf) : 0;
}
