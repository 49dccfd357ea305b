/* capi-memory absolute|relative
 *
 * Memory guards (exception step only, handler of capi.h; sampled every
 * 20 ms, no grace).  Each phase touches fresh memory and waits for the handler (500 ms,
 * then up to 5 s); the
 * program notes "growing-N MS" when phase N begins to allocate.
 * absolute: limit = resident size at start + 96 MiB.  Grow 32 MiB (under),
 *   then 128 MiB more (over): the handler once, after "growing-2".
 * relative: first 128 MiB before the guard; limit 96 MiB counted from the
 *   resident size at entry.  Grow 32 MiB: still under, though the process is
 *   over 96 MiB in absolute terms; then 128 MiB more: the handler. */
#include <sys/mman.h>

#include "capi.h"

#define MiB (1024 * 1024ull)

static uint64_t resident(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, pages = 0;
    if (!f || fscanf(f, "%llu %llu", &size, &pages) != 2)
        exit(3);
    fclose(f);
    return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void touch(uint64_t bytes)
{
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        exit(3);
    memset(p, 1, bytes);
}

/* Up to `ms` for the handler, then a little more: a second call would show. */
static void wait_for_handler(long ms)
{
    long until = record_ms() + ms;
    while (record_ms() < until && !atomic_load(&handler_calls))
        ;
    spin_until(record_ms() + 200);
}

int main(int argc, char **argv)
{
    int relative = argc == 2 && !strcmp(argv[1], "relative");
    if (argc != 2 || (!relative && strcmp(argv[1], "absolute"))) {
        fprintf(stderr, "usage: capi-memory absolute|relative\n");
        return 2;
    }
    record_start();
    guard_set_handler(note_handler, NULL, 0);
    if (relative)
        touch(128 * MiB);
    struct guard_mem_options o = GUARD_MEM_OPTIONS_INIT;
    o.max_bytes = relative ? 96 * MiB : resident() + 96 * MiB;
    o.absolute = !relative;
    o.interrupt = GUARD_INTERRUPT_EXCEPTION;
    o.check_interval_ms = 20;
    o.secondary_grace_period_ms = 60000;
    o.user_data = (void *)(relative ? "relative" : "absolute");
    struct guard *g = guard_mem_begin(&o);
    if (!g) {
        fprintf(stderr, "guard_mem_begin: %s\n", strerror(errno));
        return 3;
    }
    record_line("growing-1");
    touch(32 * MiB);
    wait_for_handler(500);
    record_line("growing-2");
    touch(128 * MiB);
    wait_for_handler(5000);
    end_guard(g);
    record_line("done");
    return 0;
}
