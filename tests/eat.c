/* eat RATE_MIB_S UNTIL_MIB HOLD_MS [--free] [--release-after MS] [--over MIB]
 * eat --spike MIB MS HOLD_MS
 *
 * Allocates and touches memory at RATE MiB/s at most until it holds UNTIL
 * MiB, then holds it, spinning, until HOLD_MS after it reached UNTIL or got
 * its first signal, whichever came first; prints "done" and exits 0.  How
 * fast pages fault in is the machine's (a loaded virtual machine can manage
 * a tenth of RATE): callers time what happens from the lines this prints,
 * never from RATE.  SIGINT and SIGTERM are recorded (record.h); at the first
 * one it prints "rss N MiB at signal" (resident size then) and, with --free,
 * frees all it holds and allocates no more.  --release-after MS frees
 * everything MS after reaching UNTIL.  --over MIB prints "over T (MIB MiB)" once
 * its resident size exceeds MIB MiB (checked after each MiB it touches); it
 * reports progress (guard.h) with each MiB until then, so that a time guard
 * counts from there.
 *
 * --spike: a short spike of MIB MiB whose length does not depend on how fast
 * fresh pages fault in: the MiB are written to a memory file first (page
 * cache, not mapped, so not resident in this process), then mapped populated
 * for MS and unmapped; prints "spike MIB from T1 to T2" (the mapping's start
 * and the unmapping's end), holds HOLD_MS more, prints "done". */
#define _GNU_SOURCE /* memfd_create */
#include <guard.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "record.h"

static volatile sig_atomic_t signalled;

static void on_signal(int signo)
{
    record_signal(signo);
    signalled = 1;
}

#define CHUNK (1 << 20)

static unsigned long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (unsigned long)sysconf(_SC_PAGESIZE);
}

static long rss_mib(void)
{
    return (long)(rss_bytes() >> 20);
}

static void hold_for(long ms)
{
    spin_until(record_ms() + ms);
}

static int spike(long mib, long ms, long hold)
{
    record_start();
    size_t size = (size_t)mib << 20;
    static char chunk[CHUNK];
    memset(chunk, 1, sizeof chunk);
    int fd = memfd_create("eat-spike", 0);
    for (long i = 0; fd >= 0 && i < mib; i++)
        if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) {
            perror("eat: memory file");
            return 1;
        }
    long from = record_ms();
    void *p = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (fd < 0 || p == MAP_FAILED) {
        perror("eat: memory file");
        return 1;
    }
    hold_for(ms);
    munmap(p, size);
    printf("spike %ld from %ld to %ld\n", mib, from, record_ms());
    fflush(stdout);
    hold_for(hold);
    record_line("done");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--spike"))
        return spike(atol(argv[2]), atol(argv[3]), atol(argv[4]));
    if (argc < 4) {
        fprintf(stderr, "usage: eat RATE_MIB_S UNTIL_MIB HOLD_MS [--free] [--release-after MS] [--over MIB]\n"
                        "       eat --spike MIB MS HOLD_MS\n");
        return 2;
    }
    double rate = atof(argv[1]);
    long until = atol(argv[2]), hold = atol(argv[3]), release_after = -1, over = -1;
    bool free_on_signal = false;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--free")) free_on_signal = true;
        else if (!strcmp(argv[i], "--release-after") && i + 1 < argc) release_after = atol(argv[++i]);
        else if (!strcmp(argv[i], "--over") && i + 1 < argc) over = atol(argv[++i]);
    }
    record_start();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char **chunks = calloc((size_t)until + 1, sizeof *chunks);
    long held = 0, reached_at = -1, settled_at = -1;
    bool reported = false, stopped = false;
    while (settled_at < 0 || record_ms() < settled_at + hold) {
        if (signalled && !reported) {
            reported = true;
            if (settled_at < 0)
                settled_at = record_ms();
            printf("rss %ld MiB at signal\n", rss_mib());
            fflush(stdout);
            if (free_on_signal) {
                while (held > 0)
                    free(chunks[--held]);
                stopped = true;
            }
        }
        long now = record_ms();
        if (!stopped && held < until && held < (long)(rate * now / 1000.0) + 1) {
            chunks[held] = malloc(CHUNK);
            memset(chunks[held], 1 + (int)(held & 0x7f), CHUNK);
            held++;
            if (held == until && settled_at < 0)
                settled_at = now;
            if (held == until)
                reached_at = now;
            if (over >= 0) {
                guard_progress_if_loaded();
                if (rss_bytes() > (unsigned long)over << 20) {
                    printf("over %ld (%ld MiB)\n", record_ms(), over);
                    fflush(stdout);
                    over = -1;
                }
            }
        }
        if (reached_at >= 0 && release_after >= 0 && now >= reached_at + release_after && held) {
            while (held > 0)
                free(chunks[--held]);
            stopped = true;
            printf("released at %ld\n", now);
            fflush(stdout);
        }
    }
    record_line("done");
    return 0;
}
