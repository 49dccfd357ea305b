/* hog MIB [--max MS]
 *
 * Allocates and touches MIB mebibytes, prints "allocated", then sleeps until
 * MS milliseconds (default 10000) have passed and prints "done".  Signals
 * keep their default actions.  Built statically linked, for outside mode. */
#include "record.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hog MIB [--max MS]\n");
        return 2;
    }
    long mib = atol(argv[1]), max = 10000;
    if (argc > 3 && !strcmp(argv[2], "--max"))
        max = atol(argv[3]);
    record_start();
    (void)spin_until; /* record.h's, unused here */
    (void)record_handlers;
    for (long i = 0; i < mib; i++) {
        char *chunk = malloc(1 << 20);
        if (!chunk)
            return 3;
        memset(chunk, (int)i | 1, 1 << 20);
    }
    record_line("allocated");
    while (record_ms() < max) {
        struct timespec t = { 0, 10 * 1000000 };
        nanosleep(&t, NULL);
    }
    record_line("done");
    return 0;
}
