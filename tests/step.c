/* step NAME MS | step NAME stuck
 *
 * One step of a job, for the process-tree tests: prints "NAME started PID",
 * reports progress through guard.h's weak guard_progress() every 100 ms for
 * MS milliseconds, then
 * prints "NAME done" and exits 0.  "stuck" spins without progress instead
 * and, if nothing stops it within 20 s, prints "NAME not interrupted" and
 * exits 3.  Signals keep their default actions, so a guard's SIGINT ends
 * it (status 130 in a shell).  Also built statically linked: libguard
 * cannot enter that one. */
#include <guard.h>

#include "record.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: step NAME MS|stuck\n");
        return 2;
    }
    const char *name = argv[1];
    int stuck = !strcmp(argv[2], "stuck");
    long ms = stuck ? 20000 : atol(argv[2]);
    record_start();
    (void)record_handlers; /* record.h's, unused here: default actions */
    printf("%s started %d\n", name, (int)getpid());
    fflush(stdout);
    for (long next = 0; record_ms() < ms;) {
        if (!stuck && record_ms() >= next) {
            guard_progress_if_loaded();
            next += 100;
        }
    }
    printf("%s %s\n", name, stuck ? "not interrupted" : "done");
    return stuck ? 3 : 0;
}
