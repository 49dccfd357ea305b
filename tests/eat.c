/* eat RATE_MIB_S UNTIL_MIB HOLD_MS [--free] [--release-after MS]
 *
 * Allocates and touches memory at RATE MiB/s until it holds UNTIL MiB, then
 * holds it, spinning, until HOLD_MS since the start; prints "done" and exits
 * 0.  SIGINT and SIGTERM are recorded (record.h); at the first one it prints
 * "rss N MiB at signal" (resident size then) and, with --free, frees all it
 * holds and allocates no more.  --release-after MS frees everything MS after
 * reaching UNTIL (a short spike). */
#include <stdbool.h>

#include "record.h"

static volatile sig_atomic_t signalled;

static void on_signal(int signo)
{
    record_signal(signo);
    signalled = 1;
}

static long rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (long)(resident * (unsigned long)sysconf(_SC_PAGESIZE) >> 20);
}

#define CHUNK (1 << 20)

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: eat RATE_MIB_S UNTIL_MIB HOLD_MS [--free] [--release-after MS]\n");
        return 2;
    }
    double rate = atof(argv[1]);
    long until = atol(argv[2]), hold = atol(argv[3]), release_after = -1;
    bool free_on_signal = false;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--free")) free_on_signal = true;
        else if (!strcmp(argv[i], "--release-after") && i + 1 < argc) release_after = atol(argv[++i]);
    }
    record_start();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char **chunks = calloc((size_t)until + 1, sizeof *chunks);
    long held = 0, reached_at = -1;
    bool reported = false, stopped = false;
    while (record_ms() < hold) {
        if (signalled && !reported) {
            reported = true;
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
            if (held == until)
                reached_at = now;
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
