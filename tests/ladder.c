/* ladder [--ignore | --default | --block] [--sleep] [--max MS]
 *
 * Records every SIGINT and SIGTERM it gets (see record.h) and carries on,
 * spinning (or sleeping, with --sleep) until MS milliseconds (default 4000)
 * have passed; then prints "done" and exits 0.  --ignore ignores both signals
 * instead; --default leaves their default actions; --block blocks every
 * signal in the main thread (what then reaches it?). */
#include "record.h"

int main(int argc, char **argv)
{
    long max = 4000;
    int sleepy = 0, ignore = 0, keep_default = 0, block = 0;
    record_start();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ignore")) ignore = 1;
        else if (!strcmp(argv[i], "--default")) keep_default = 1;
        else if (!strcmp(argv[i], "--block")) block = 1;
        else if (!strcmp(argv[i], "--sleep")) sleepy = 1;
        else if (!strcmp(argv[i], "--max") && i + 1 < argc) max = atol(argv[++i]);
        else { fprintf(stderr, "ladder: unknown argument %s\n", argv[i]); return 2; }
    }
    if (block) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
    }
    if (ignore) {
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
    } else if (!keep_default) {
        record_handlers();
    }
    if (sleepy) {
        /* One sleep for the whole remainder (a signal ends it early), so the
         * thread is seen sleeping even on a loaded machine. */
        for (long left; (left = max - record_ms()) > 0;) {
            struct timespec t = { left / 1000, left % 1000 * 1000000 };
            nanosleep(&t, NULL);
        }
    } else {
        spin_until(max);
    }
    record_line("done");
    return 0;
}
