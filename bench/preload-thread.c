/* A library whose constructor starts one thread that sleeps, as libguard's
 * watchdog does: the baseline of an armed guard's per-process cost
 * (bench/run). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static void *sleeper(void *unused)
{
    (void)unused;
    for (;;)
        pause();
    return NULL;
}

__attribute__((constructor)) static void start_one_thread(void)
{
    pthread_attr_t attr;
    sigset_t all;
    pthread_t thread;
    sigfillset(&all);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_attr_setsigmask_np(&attr, &all);
    pthread_create(&thread, &attr, sleeper, NULL);
    pthread_attr_destroy(&attr);
}
