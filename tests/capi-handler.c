/* capi-handler ladder|none|process|interrupt
 *
 * The exception step in a C program.
 * ladder: a handler is registered; a 300 ms time guard (exception then
 *   signal, grace 300 ms) around a task that ignores it: the handler (~300),
 *   then SIGINT (~600) and SIGTERM (~900), recorded, to the main thread.
 * none: the same without a handler: the ladder is the signal one.
 * process: a handler, no guard of its own: the shim's process guard
 *   (LIBGUARD_TIMEOUT from the caller) calls it.
 * interrupt: the handler sets a flag and asks for SIGUSR1, which the program
 *   handles without SA_RESTART: the main thread, blocked in read(2) on a pipe
 *   nobody writes, gets EINTR, sees the flag, ends the guard and finishes;
 *   no signal step follows. */
#include "capi.h"

static _Atomic int interrupted;

static void set_flag(const struct guard_event *ev, void *arg)
{
    note_handler(ev, arg);
    atomic_store(&interrupted, 1);
}

static void ignore(int signo)
{
    (void)signo;
}

int main(int argc, char **argv)
{
    const char *mode = argc == 2 ? argv[1] : "";
    record_start();
    record_handlers();
    if (!strcmp(mode, "ladder") || !strcmp(mode, "none") || !strcmp(mode, "process")) {
        if (strcmp(mode, "none"))
            guard_set_handler(note_handler, NULL, 0);
        struct guard *g = NULL;
        if (strcmp(mode, "process"))
            g = time_guard(300, 300, GUARD_INTERRUPT_EXCEPTION_THEN_SIGNAL, "task");
        spin_until(1500);
        if (g)
            end_guard(g);
        record_line("done");
        return 0;
    }
    if (!strcmp(mode, "interrupt")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = ignore; /* no SA_RESTART: read(2) returns EINTR */
        sigaction(SIGUSR1, &sa, NULL);
        guard_set_handler(set_flag, NULL, SIGUSR1);
        int fds[2];
        if (pipe(fds) != 0)
            return 3;
        struct guard *g = time_guard(300, 300, GUARD_INTERRUPT_EXCEPTION_THEN_SIGNAL, "read");
        char c;
        ssize_t n;
        while ((n = read(fds[0], &c, 1)) < 0 && errno == EINTR && !atomic_load(&interrupted))
            ;
        end_guard(g);
        record_line(n < 0 && errno == EINTR && atomic_load(&interrupted) ? "read-interrupted"
                                                                         : "read-other");
        spin_until(record_ms() + 900); /* room for a step that should not come */
        record_line("done");
        return 0;
    }
    fprintf(stderr, "usage: capi-handler ladder|none|process|interrupt\n");
    return 2;
}
