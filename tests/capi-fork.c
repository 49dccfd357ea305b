/* capi-fork MS: begins a time guard of MS milliseconds (signal ladder)
 * through the API, then forks; the child spins for 3 * MS and records its
 * signals as "child SIGINT <ms since fork>", the parent ends its guard, waits
 * for the child and prints "child exited N".  The guard follows the forking thread into the
 * child, whether or not the environment armed anything. */
#include <sys/wait.h>

#include "capi.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: capi-fork MS\n");
        return 2;
    }
    long ms = atol(argv[1]);
    struct guard_time_options o = GUARD_TIME_OPTIONS_INIT;
    o.timeout_ms = (uint64_t)ms;
    o.grace_period_ms = 10 * (uint64_t)ms;
    o.interrupt = GUARD_INTERRUPT_SIGNAL;
    struct guard *g = guard_time_begin(&o);
    if (!g)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        record_label = "child ";
        record_start();
        record_handlers();
        spin_until(3 * ms);
        record_line("done");
        _exit(0);
    }
    guard_end(g); /* the parent's own: it only waits now */
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
