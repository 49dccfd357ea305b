/* progress EVERY_MS FROM_MS UNTIL_MS MAX_MS
 *
 * One binary for runs with and without libguard: spins, reporting progress
 * through guard.h's weak guard_progress() every EVERY_MS between FROM_MS and
 * UNTIL_MS, and without progress otherwise, until MAX_MS.  Says first
 * whether libguard is loaded; records SIGINT and SIGTERM (record.h). */
#include <guard.h>

#include "record.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: progress EVERY_MS FROM_MS UNTIL_MS MAX_MS\n");
        return 2;
    }
    long every = atol(argv[1]), from = atol(argv[2]), until = atol(argv[3]),
         max = atol(argv[4]);
    record_start();
    record_handlers();
    printf("libguard %s\n", guard_progress ? "loaded" : "not loaded");
    fflush(stdout);
    for (long next = from; record_ms() < max;) {
        long now = record_ms();
        if (now >= next && now < until) {
            guard_progress_if_loaded();
            next += every;
        }
    }
    record_line("done");
    return 0;
}
