/* forker [--from-thread] PARENT_MS CHILD_MS [AFTER_MS]
 *
 * Reports progress (guard.h) for PARENT_MS, then forks.  The child spins for
 * CHILD_MS more, recording its signals as "child SIGINT <ms since fork>";
 * the parent waits for it, recording its own as "parent SIGINT <ms since
 * start>", and prints "child exited N" or "child killed by N".  With
 * --from-thread the fork is made by a second thread of the parent.  With
 * AFTER_MS the parent then records "parent waited <ms since start>" and
 * spins, without progress, for AFTER_MS more. */
#include <guard.h>
#include <pthread.h>
#include <sys/wait.h>

#include "record.h"

static long child_ms;

static pid_t fork_child(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        record_label = "child ";
        record_start();
        spin_until(child_ms);
        record_line("done");
        exit(0);
    }
    return pid;
}

static void *fork_in_thread(void *pid)
{
    *(pid_t *)pid = fork_child();
    return NULL;
}

int main(int argc, char **argv)
{
    int from_thread = argc > 1 && !strcmp(argv[1], "--from-thread");
    if (argc != 3 + from_thread && argc != 4 + from_thread) {
        fprintf(stderr, "usage: forker [--from-thread] PARENT_MS CHILD_MS [AFTER_MS]\n");
        return 2;
    }
    long parent_ms = atol(argv[1 + from_thread]);
    child_ms = atol(argv[2 + from_thread]);
    long after_ms = argc == 4 + from_thread ? atol(argv[3 + from_thread]) : 0;
    record_start();
    record_handlers();
    while (record_ms() < parent_ms)
        guard_progress_if_loaded();
    pid_t pid;
    if (from_thread) {
        pthread_t t;
        pthread_create(&t, NULL, fork_in_thread, &pid);
        pthread_join(t, NULL);
    } else {
        pid = fork_child();
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
    if (after_ms) {
        record_line("waited");
        spin_until(record_ms() + after_ms);
    }
    return 0;
}
