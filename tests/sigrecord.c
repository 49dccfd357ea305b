/* sigrecord [--max MS] [--ready FIFO] [--exit-on-signal N] [ARG...]
 *
 * Records each SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 it gets
 * as a line on stdout ("SIGINT 512 main", see record.h), sleeping until MS
 * milliseconds (default 10000) have passed; then prints "done" and exits 0.
 * --ready writes "ready" into FIFO once the handlers are installed (the test
 * waits on it instead of sleeping); --exit-on-signal exits with status N
 * after the first signal.  Other arguments are ignored (so it can serve as a
 * script's interpreter).  Built twice: dynamically and statically linked. */
#include <fcntl.h>

#include "record.h"

static volatile sig_atomic_t got;

static void on_signal(int signo)
{
    const char *name = signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM"
                     : signo == SIGHUP ? "SIGHUP" : signo == SIGQUIT ? "SIGQUIT"
                     : signo == SIGUSR1 ? "SIGUSR1" : "SIGUSR2";
    record_line(name);
    got = signo;
}

int main(int argc, char **argv)
{
    long max = 10000;
    int exit_on_signal = -1;
    const char *ready = NULL;
    record_start();
    (void)spin_until; /* record.h's, unused here */
    (void)record_handlers;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max") && i + 1 < argc) max = atol(argv[++i]);
        else if (!strcmp(argv[i], "--ready") && i + 1 < argc) ready = argv[++i];
        else if (!strcmp(argv[i], "--exit-on-signal") && i + 1 < argc)
            exit_on_signal = atoi(argv[++i]);
    }
    static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        sigaction(signals[i], &sa, NULL);
    if (ready) {
        int fd = open(ready, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t unused = write(fd, "ready\n", 6);
            (void)unused;
            close(fd);
        }
    }
    while (record_ms() < max) {
        if (got && exit_on_signal >= 0)
            return exit_on_signal;
        struct timespec t = { 0, 10 * 1000000 };
        nanosleep(&t, NULL);
    }
    record_line("done");
    return 0;
}
