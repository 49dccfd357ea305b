/* main-exits [--ignore] MS
 *
 * The main thread starts a worker and ends with pthread_exit(0); the worker
 * sleeps MS milliseconds, prints "worker done" to stdout (left in stdio's
 * buffer when stdout is not a terminal: only exit() flushes it) and returns,
 * so the process ends when it does, with status 0.  With --ignore the worker
 * ignores SIGINT and SIGTERM (only SIGKILL ends it early). */
#include <pthread.h>

#include "record.h"

static long worker_ms;

static void *worker(void *unused)
{
    (void)unused;
    struct timespec step = { 0, 10 * 1000 * 1000 };
    while (record_ms() < worker_ms)
        nanosleep(&step, NULL);
    printf("worker done\n");
    return NULL;
}

int main(int argc, char **argv)
{
    int ignore = argc == 3 && !strcmp(argv[1], "--ignore");
    if (argc != 2 + ignore) {
        fprintf(stderr, "usage: main-exits [--ignore] MS\n");
        return 2;
    }
    worker_ms = atol(argv[argc - 1]);
    record_start();
    if (ignore) {
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
    }
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pthread_exit(NULL);
}
