/* forker PARENT_MS CHILD_MS
 *
 * Reports progress (guard.h) for PARENT_MS, then forks.  The child spins for
 * CHILD_MS more, recording its signals as "child SIGINT <ms since fork>";
 * the parent waits for it, recording its own as "parent SIGINT <ms since
 * start>", and prints "child exited N" or "child killed by N". */
#include <guard.h>
#include <sys/wait.h>

#include "record.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: forker PARENT_MS CHILD_MS\n");
        return 2;
    }
    long parent_ms = atol(argv[1]), child_ms = atol(argv[2]);
    record_start();
    record_handlers();
    while (record_ms() < parent_ms)
        guard_progress_if_loaded();
    pid_t pid = fork();
    if (pid == 0) {
        record_label = "child ";
        record_start();
        spin_until(child_ms);
        record_line("done");
        exit(0);
    }
    record_label = "parent ";
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    char line[64];
    if (WIFEXITED(status))
        snprintf(line, sizeof line, "child exited %d\n", WEXITSTATUS(status));
    else
        snprintf(line, sizeof line, "child killed by %d\n", WTERMSIG(status));
    ssize_t unused = write(STDOUT_FILENO, line, strlen(line));
    (void)unused;
    return 0;
}
