/* threads [--handler] [--progress] MS
 *
 * The main thread waits in pthread_join while a worker spins for MS
 * milliseconds (reporting progress all along with --progress).  With --handler, SIGINT and SIGTERM are recorded (saying
 * which thread ran the handler) and the program finishes with "done";
 * without, their default action ends it. */
#include <guard.h>
#include <pthread.h>

#include "record.h"

static long worker_ms;
static int worker_progress;

static void *worker(void *unused)
{
    (void)unused;
    while (record_ms() < worker_ms)
        if (worker_progress)
            guard_progress_if_loaded();
    return NULL;
}

int main(int argc, char **argv)
{
    int handler = 0;
    for (int i = 1; i < argc - 1; i++) {
        if (!strcmp(argv[i], "--handler")) handler = 1;
        else if (!strcmp(argv[i], "--progress")) worker_progress = 1;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: threads [--handler] [--progress] MS\n");
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
