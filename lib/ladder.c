/* Firing a step of the escalation ladder (the table is escalation.c's).
 *
 * Signals go to the guard's thread with tgkill, never to the whole process,
 * but for a main thread that has ended while other threads run on (it gets
 * no signal any more), and for a thread that blocks the signal (a program
 * that takes its signals in a sigwait() thread, as daemons do, would never
 * see it): then to the process, whose threads that do not block it take it.
 * Where there is no exception to raise the ladder is the signal one.
 *
 * A step interrupts first and describes after: where the target was is
 * taken before the interrupt and logged after it (before, when the signal
 * ends the process). */
#include "config.h"
#include "ladder.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lastthread.h"
#include "log.h"
#include "options.h"
#include "report.h"
#include "sigblocked.h"
#include "stack.h"

const struct lg_route *_Atomic lg_default_route;
const struct lg_route *_Atomic lg_handler_route;

static const struct lg_route *usable(const struct lg_route *r, const struct lg_desc *d)
{
    return r && (!r->available || r->available(d)) ? r : NULL;
}

/* A handler the C program registered (it asked for it explicitly), else
 * the interpreter's. */
static const struct lg_route *route_of(const struct lg_desc *d)
{
    const struct lg_route *r = usable(atomic_load(&lg_handler_route), d);
    return r ? r : usable(atomic_load(&lg_default_route), d);
}

/* Will this signal end the process?  (Reading a disposition changes nothing.) */
static bool ends_process(int signo)
{
    struct sigaction sa;
    return signo == SIGKILL || (sigaction(signo, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL);
}

static void describe_target(const struct lg_desc *d, bool main_ended, char *buf, size_t size)
{
    if (main_ended)
        snprintf(buf, size, "the process (its main thread has ended)");
    else if ((pid_t)d->tid == getpid())
        snprintf(buf, size, "main thread");
    else
        snprintf(buf, size, "thread %llu", (unsigned long long)d->tid);
}

static void interrupt(struct lg_guard *g, const struct lg_desc *d, int step, const char *why,
                      const struct lg_route *route, int signo,
                      bool main_ended, const char *what, const char *target)
{
    if (!signo) {
        char message[200];
        snprintf(message, sizeof message, "%s", why);
        if (!route->raise(g, d, step, message))
            lg_log("could not raise %s in %s", what, target);
        if (step == LG_LADDER_STEPS)
            lg_log("warning: %s did not react to %d exceptions; this guard sends nothing more "
                   "until progress", target, LG_LADDER_STEPS);
        return;
    }
    if (route && route->withdraw)
        route->withdraw(g, d);
    if (ends_process(signo))
        lg_report_signal(signo);
    bool to_process = main_ended;
    if (!to_process && lg_signal_blocked((pid_t)d->tid, signo)) {
        lg_log("%s blocks %s: sent to the process instead", target, what);
        to_process = true;
    }
    if (to_process ? kill(getpid(), signo) != 0
                   : syscall(SYS_tgkill, getpid(), (pid_t)d->tid, signo) != 0)
        lg_log("could not send %s to %s: it has ended", what, target);
}

void lg_ladder_fire(struct lg_guard *g, const struct lg_desc *d, int step,
                    const char *why)
{
    static _Atomic bool said_no_route;
    /* A zombie main thread takes no signal and raises nothing: aim at the
     * process, and have the watchdog end it after its last thread. */
    bool main_ended = (pid_t)d->tid == getpid() && lg_main_ended();
    if (main_ended)
        lg_main_leaving();
    const struct lg_route *route = main_ended ? NULL : route_of(d);
    int row = (int)d->interrupt;
    if (!route && row != LG_INTERRUPT_SIGNAL) {
        row = LG_INTERRUPT_SIGNAL;
        if (!main_ended && !atomic_exchange(&said_no_route, true))
            lg_log("no exception can be raised in this program (not a Python interpreter, "
                   "no handler registered): interrupting with signals (SIGINT, SIGTERM%s)",
                   d->send_kill ? ", SIGKILL" : "");
    }
    int signo = lg_step_signal(row, step, d->send_kill); /* 0: raise */

    char target[48], what[64];
    describe_target(d, main_ended, target, sizeof target);
    if (!signo && route == atomic_load(&lg_handler_route))
        snprintf(what, sizeof what, "the interrupt handler");
    else if (!signo)
        snprintf(what, sizeof what, "%s",
                 d->kind == LG_KIND_TIME ? "ExecutionTimeout" : "MemoryLimitExceeded");
    else
        lg_signal_name(signo, what, sizeof what);

    const char *dry = d->dry_run ? " (dry run: nothing sent)" : "";
    lg_log("%s: %s to %s, step %d of %d%s", why, what, target, step, LG_LADDER_STEPS, dry);
    lg_status_note(d->kind == LG_KIND_TIME ? LG_STATUS_TIME : LG_STATUS_MEMORY);
    lg_report_step((int)d->kind, step, what);
    /* Where the target is, seen before the interrupt moves it, and logged
     * after it: writing it must not delay the step.  But for a signal that
     * ends the process, which would leave nobody to log it.  The Python
     * stacks are logged by whoever delivers the exception (GIL held). */
    bool raising = !signo && !d->dry_run && route && route == atomic_load(&lg_default_route);
    struct lg_stack where;
    bool seen = step == 1
        && lg_stack_capture(d, main_ended ? "main thread" : target, raising, &where);
    bool fatal = !d->dry_run && signo && ends_process(signo);
    if (seen && fatal)
        lg_stack_log(&where);
    if (!d->dry_run)
        interrupt(g, d, step, why, route, signo, main_ended, what, target);
    if (seen && !fatal)
        lg_stack_log(&where);
}
