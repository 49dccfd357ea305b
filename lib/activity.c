/* Activity counters for LIBGUARD_PROGRESS.  See activity.h. */
#include "config.h"
#include "activity.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "procfile.h"
#include "startdata.h"

_Atomic uint64_t lg_own_read_bytes, lg_own_written_bytes;

static int kind LG_START_DATA = LG_PROGRESS_CALLS;
static char path[LG_PATH_MAX];

void lg_activity_configure(int k, const char *p)
{
    kind = k;
    if (p)
        lg_copy_string(path, sizeof path, p);
}

ssize_t lg_read_own_text(const char *path, char *buf, size_t size)
{
    ssize_t n = lg_read_file(path, buf, size);
    if (n > 0)
        atomic_fetch_add(&lg_own_read_bytes, (uint64_t)n); /* not the program's I/O */
    return n;
}

bool lg_read_own(const char *path, char *buf, size_t size)
{
    if (lg_read_own_text(path, buf, size) <= 0)
        return false;
    buf[strcspn(buf, "\n")] = '\0';
    return true;
}

/* rchar and wchar from /proc/self/io: every byte read or written through a
 * system call, whatever the descriptor (terminal, pipe, file, socket). */
static void read_io(uint64_t *rchar, uint64_t *wchar, uint64_t *own_read)
{
    *rchar = *wchar = 0;
    /* This read is not in the counts it returns: count it as ours after. */
    *own_read = atomic_load(&lg_own_read_bytes);
    char buf[512];
    if (lg_read_own_text("/proc/self/io", buf, sizeof buf) <= 0)
        return;
    unsigned long long r = 0, w = 0;
    const char *at = strstr(buf, "rchar:");
    if (at)
        sscanf(at, "rchar: %llu", &r);
    at = strstr(buf, "wchar:");
    if (at)
        sscanf(at, "wchar: %llu", &w);
    *rchar = r;
    *wchar = w;
}

uint64_t lg_activity_read(void)
{
    uint64_t r, w, own;
    struct stat st;
    switch (kind) {
    case LG_PROGRESS_IO:
        read_io(&r, &w, &own);
        return r - own + w - atomic_load(&lg_own_written_bytes);
    case LG_PROGRESS_OUTPUT:
        read_io(&r, &w, &own);
        return w - atomic_load(&lg_own_written_bytes);
    case LG_PROGRESS_FILE:
        if (stat(path, &st) != 0)
            return 0;
        return (uint64_t)st.st_size * 1000003u ^ (uint64_t)st.st_mtim.tv_sec * 1000000000u
               ^ (uint64_t)st.st_mtim.tv_nsec;
    default:
        return 0;
    }
}
