/* Shared by the C API test programs: a handler for the exception step that
 * notes each call as one line on stdout with write(2) only (it runs on the
 * watchdog thread):
 *
 *   handler LABEL KIND step N MS TARGET
 *
 * LABEL is the guard's user_data (a string) or "process"; TARGET says which
 * thread the step was meant for ("main" or "thread"). */
#ifndef TESTS_CAPI_H
#define TESTS_CAPI_H

#include <errno.h>
#include <guard.h>
#include <stdatomic.h>

/* Not every program uses every helper of record.h. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "record.h"
#pragma GCC diagnostic pop

static _Atomic int handler_calls;

static inline void note_handler(const struct guard_event *ev, void *arg)
{
    (void)arg;
    char line[160];
    const char *label = ev->process_guard ? "process"
                      : ev->user_data ? (const char *)ev->user_data : "?";
    int n = snprintf(line, sizeof line, "handler %s %s step %d %ld %s\n", label,
                     ev->kind == GUARD_TIME ? "time" : "memory", ev->step, record_ms(),
                     ev->tid == getpid() ? "main" : "thread");
    ssize_t unused = write(STDOUT_FILENO, line, (size_t)n);
    (void)unused;
    atomic_fetch_add(&handler_calls, 1);
}

static inline struct guard *time_guard(uint64_t timeout_ms, uint64_t grace_ms, int interrupt,
                                const char *label)
{
    struct guard_time_options o = GUARD_TIME_OPTIONS_INIT;
    o.timeout_ms = timeout_ms;
    o.grace_period_ms = grace_ms;
    o.interrupt = interrupt;
    o.user_data = (void *)label;
    struct guard *g = guard_time_begin(&o);
    if (!g) {
        fprintf(stderr, "guard_time_begin: %s\n", strerror(errno));
        exit(3);
    }
    return g;
}

static inline void end_guard(struct guard *g)
{
    if (guard_end(g) != 0) {
        fprintf(stderr, "guard_end: %s\n", strerror(errno));
        exit(3);
    }
}

/* Report progress through guard_progress() (g NULL) or on g, every 20 ms,
 * until `ms` since the start. */
static inline void progress_until(struct guard *g, long ms)
{
    long next = 0;
    while (record_ms() < ms) {
        if (record_ms() >= next) {
            if (g)
                guard_progress_on(g);
            else
                guard_progress();
            next = record_ms() + 20;
        }
    }
}

#endif
