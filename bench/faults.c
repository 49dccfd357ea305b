/* faults N [VAR=VALUE...] COMMAND [ARG...]: run COMMAND N times, one after
 * the other, with VAR=VALUE added to its environment (not this program's:
 * a preloaded library would also run here, and in each child between fork
 * and exec), and print the median of its minor page faults (getrusage of
 * each child).  On
 * a virtual machine a page fault costs microseconds: for a short process,
 * what loading a library costs is mostly the pages it touches.  Counts,
 * unlike times, do not blur when the machine is loaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int by_value(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[1]) : 0, command = 2;
    while (command < argc && strchr(argv[command], '='))
        command++;
    if (n <= 0 || command >= argc) {
        fprintf(stderr, "usage: faults N [VAR=VALUE...] COMMAND [ARG...]\n");
        return 2;
    }
    long *counts = calloc((size_t)n, sizeof *counts);
    if (!counts)
        return 1;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("faults: fork");
            return 1;
        }
        if (pid == 0) {
            for (int i = 2; i < command; i++)
                putenv(argv[i]);
            execvp(argv[command], argv + command);
            perror("faults: exec");
            _exit(127);
        }
        int status;
        struct rusage use;
        if (wait4(pid, &status, 0, &use) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
            fprintf(stderr, "faults: %s did not exit with 0\n", argv[command]);
            return 1;
        }
        counts[i] = use.ru_minflt;
    }
    qsort(counts, (size_t)n, sizeof *counts, by_value);
    printf("%ld\n", counts[n / 2]);
    return 0;
}
