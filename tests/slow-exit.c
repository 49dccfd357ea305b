/* slow-exit MAIN_MS HANDLER_MS: spins MAIN_MS in main, returns, and spins
 * HANDLER_MS more in an atexit handler, recording any signal (record.h).
 * slow-exit --dispositions: prints the disposition of every signal and the
 * signal mask of the main thread, to compare runs with and without libguard. */
#include "record.h"

static long handler_ms;

static void slow_handler(void)
{
    spin_until(handler_ms);
    record_line("exit handler done");
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--dispositions")) {
        sigset_t mask;
        sigprocmask(SIG_BLOCK, NULL, &mask);
        for (int s = 1; s < NSIG; s++) {
            struct sigaction sa;
            if (sigaction(s, NULL, &sa) == 0)
                printf("%d %s%s\n", s,
                       sa.sa_handler == SIG_DFL ? "default" : sa.sa_handler == SIG_IGN ? "ignored" : "handled",
                       sigismember(&mask, s) ? " blocked" : "");
        }
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: slow-exit MAIN_MS HANDLER_MS\n");
        return 2;
    }
    record_start();
    record_handlers();
    long main_ms = atol(argv[1]);
    handler_ms = main_ms + atol(argv[2]);
    atexit(slow_handler);
    spin_until(main_ms);
    return 0;
}
