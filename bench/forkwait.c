/* forkwait N BUSY: fork N children one after the other, each exiting at
 * once, and wait for each, while BUSY threads spin; prints the milliseconds
 * per fork+wait.  A guarded child starts its own watchdog, which must also
 * be scheduled to end with it: on busy cores, that is what a fork costs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *spin(void *unused)
{
    (void)unused;
    for (volatile unsigned long i = 0;; i++)
        ;
    return NULL;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: forkwait N BUSY\n");
        return 2;
    }
    int n = atoi(argv[1]), busy = atoi(argv[2]);
    for (int i = 0; i < busy; i++) {
        pthread_t t;
        pthread_create(&t, NULL, spin, NULL);
    }
    double start = now_ms();
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0 || waitpid(pid, NULL, 0) < 0)
            return 1;
    }
    printf("%.3f\n", (now_ms() - start) / n);
    return 0;
}
