/* sigwaiter [--max MS]
 *
 * A program that takes its signals in a thread of its own, as daemons do:
 * the main thread blocks SIGINT, SIGTERM and SIGHUP before starting a thread
 * that waits for them with sigwait(), then spins until MS milliseconds
 * (default 4000) have passed and prints "done".  The waiting thread records
 * the first signal it takes (see record.h) and ends the process with status
 * 3, its orderly shutdown. */
#include <pthread.h>

#include "record.h"

static sigset_t wanted;

static void *wait_for_signal(void *unused)
{
    (void)unused;
    int signo;
    if (sigwait(&wanted, &signo) == 0) {
        record_signal(signo);
        _exit(3);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long max = argc == 3 && !strcmp(argv[1], "--max") ? atol(argv[2]) : 4000;
    record_start();
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &wanted, NULL); /* the thread inherits it */
    pthread_t waiter;
    if (pthread_create(&waiter, NULL, wait_for_signal, NULL) != 0)
        return 2;
    spin_until(max);
    record_line("done");
    return 0;
}
