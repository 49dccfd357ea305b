/* threads [--handler] MS
 *
 * The main thread waits in pthread_join while a worker spins for MS
 * milliseconds.  With --handler, SIGINT and SIGTERM are recorded (saying
 * which thread ran the handler) and the program finishes with "done";
 * without, their default action ends it. */
#include <pthread.h>

#include "record.h"

static long worker_ms;

static void *worker(void *unused)
{
    (void)unused;
    spin_until(worker_ms);
    return NULL;
}

int main(int argc, char **argv)
{
    int handler = argc > 2 && !strcmp(argv[1], "--handler");
    if (argc < 2) {
        fprintf(stderr, "usage: threads [--handler] MS\n");
        return 2;
    }
    worker_ms = atol(argv[argc - 1]);
    record_start();
    if (handler)
        record_handlers();
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    record_line("done");
    return 0;
}
