/* progress EVERY_MS UNTIL_MS MAX_MS
 *
 * One binary for runs with and without libguard: reports progress through
 * guard.h's weak guard_progress() every EVERY_MS until UNTIL_MS, then spins
 * without progress until MAX_MS.  Says first whether libguard is loaded;
 * records SIGINT and SIGTERM (record.h). */
#include <guard.h>

#include "record.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: progress EVERY_MS UNTIL_MS MAX_MS\n");
        return 2;
    }
    long every = atol(argv[1]), until = atol(argv[2]), max = atol(argv[3]);
    record_start();
    record_handlers();
    printf("libguard %s\n", guard_progress ? "loaded" : "not loaded");
    fflush(stdout);
    long next = 0;
    while (record_ms() < until) {
        if (record_ms() >= next) {
            guard_progress_if_loaded();
            next += every;
        }
    }
    spin_until(max);
    record_line("done");
    return 0;
}
