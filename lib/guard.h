/* libguard: keep a running task within its time and memory budget.
 *
 * Progress: call guard_progress_if_loaded() whenever the task moves on (a
 * record done, a page parsed).  It resets the innermost time guard of the
 * calling thread (else the process guard that LIBGUARD_TIMEOUT arms).  It
 * costs a few nanoseconds, takes no lock, makes no system call, and does
 * nothing when libguard is not loaded, so one binary runs with and without
 * it:
 *
 *     #include <guard.h>
 *     for (...) { work(); guard_progress_if_loaded(); }
 *
 * Scoped guards (link with -lguard): a time or memory guard around one task,
 * targeting the calling thread; they nest, in any thread.
 *
 *     struct guard_time_options o = GUARD_TIME_OPTIONS_INIT;
 *     o.timeout_ms = 5000;
 *     struct guard *g = guard_time_begin(&o);
 *     for (...) { step(); guard_progress(); }
 *     guard_end(g);
 *
 * See guard.h(3) for the contract of each call, libguard(7) for the shim. */
#ifndef GUARD_H
#define GUARD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Declared weak: its address is null when libguard.so is not loaded. */
void guard_progress(void) __attribute__((weak));

static inline void guard_progress_if_loaded(void)
{
    if (guard_progress)
        guard_progress();
}

/* ---- scoped guards ------------------------------------------------------ */

/* An armed guard.  Opaque; valid from begin until guard_end. */
struct guard;

/* What a guard does at each step (the values of resiliparse's InterruptType). */
enum guard_interrupt {
    GUARD_INTERRUPT_EXCEPTION = 0,             /* the handler at every step */
    GUARD_INTERRUPT_SIGNAL = 1,                /* SIGINT, SIGTERM, SIGTERM/SIGKILL */
    GUARD_INTERRUPT_EXCEPTION_THEN_SIGNAL = 2, /* the handler, SIGINT, SIGTERM/SIGKILL */
};

enum guard_kind { GUARD_TIME = 1, GUARD_MEMORY = 2 };

/* Options grow at the end only, in whole 8-byte words (no padding after
 * them).  `size` says how much of the struct the caller knows: always start
 * from the INIT macro, which sets it and the defaults, then change the
 * fields you need. */
struct guard_time_options {
    size_t size;
    uint64_t timeout_ms;       /* time allowed without progress; > 0 */
    uint64_t grace_period_ms;  /* between steps */
    int interrupt;             /* enum guard_interrupt */
    int send_kill;             /* SIGKILL rather than SIGTERM as the last signal */
    void *user_data;           /* handed to the handler (struct guard_event) */
};
#define GUARD_TIME_OPTIONS_INIT                                              \
    { .size = sizeof(struct guard_time_options), .timeout_ms = 60000,        \
      .grace_period_ms = 15000,                                              \
      .interrupt = GUARD_INTERRUPT_EXCEPTION_THEN_SIGNAL, .send_kill = 0,    \
      .user_data = NULL }

struct guard_mem_options {
    size_t size;
    uint64_t max_bytes;        /* resident bytes allowed; > 0 */
    int absolute;              /* 0: max_bytes counts from the resident size at entry */
    int interrupt;             /* enum guard_interrupt */
    uint64_t grace_period_ms;  /* tolerated excess before the first step */
    uint64_t secondary_grace_period_ms; /* between later steps */
    uint64_t check_interval_ms;/* longest time between two samples; > 0 */
    int send_kill;
    void *user_data;
};
#define GUARD_MEM_OPTIONS_INIT                                               \
    { .size = sizeof(struct guard_mem_options), .max_bytes = 0,              \
      .absolute = 1, .interrupt = GUARD_INTERRUPT_EXCEPTION_THEN_SIGNAL,     \
      .grace_period_ms = 0, .secondary_grace_period_ms = 5000,               \
      .check_interval_ms = 500, .send_kill = 0, .user_data = NULL }

/* Arm a guard targeting the calling thread.  NULL with errno EINVAL (bad
 * options) or EAGAIN (too many guards armed). */
struct guard *guard_time_begin(const struct guard_time_options *options);
struct guard *guard_mem_begin(const struct guard_mem_options *options);

/* Disarm.  Only the thread that began it; any order.  0, or -1 with errno
 * EINVAL (not a guard of this thread, or already ended).  A thread that
 * exits with guards armed ends them with it. */
int guard_end(struct guard *guard);

/* Progress for one guard, from any thread.  Lock-free, no system call.
 * 0, or -1 with errno EINVAL. */
int guard_progress_on(struct guard *guard);

/* ---- the exception step in C programs ----------------------------------- */

struct guard_event {
    size_t size;              /* sizeof(struct guard_event) of the library */
    struct guard *guard;      /* the guard that fired */
    int kind;                 /* enum guard_kind */
    int step;                 /* 1..3 */
    int process_guard;        /* 1: the shim's guard (LIBGUARD_TIMEOUT, ...) */
    pid_t tid;                /* the target thread */
    pthread_t thread;         /* its pthread_t, when known (else 0) */
    void *user_data;          /* from the options; NULL for process guards */
    const char *message;      /* "no progress for 5s (limit 5s)"; valid during the call */
};

/* Called on libguard's watchdog thread, never in the target thread: it must
 * return promptly and not wait for anything the target may hold (no malloc,
 * stdio or locks the program uses).  Set a flag the task polls, cancel its
 * I/O; to interrupt a blocking call in the target, give `signo`. */
typedef void (*guard_handler)(const struct guard_event *event, void *arg);

/* Register the handler of the exception step, for every guard of the process
 * (scoped guards and the shim's process guards).  After the handler returns,
 * libguard sends `signo` (if not 0) to the target thread with tgkill, so a
 * blocking call there returns EINTR when the program installed a handler for
 * it without SA_RESTART.  NULL: no handler (the ladder uses signals).  0, or
 * -1 with errno EINVAL (bad signal number). */
int guard_set_handler(guard_handler handler, void *arg, int signo);

#ifdef __cplusplus
}
#endif

#endif
