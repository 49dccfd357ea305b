/* The C API of guard.h: scoped guards over the registry, progress for one
 * guard, and the handler of the exception step.  Handles are slot pointers,
 * checked against the slot table so a bad one is an error, not a crash. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guard.h"
#include "api.h"
#include "clock.h"
#include "ladder.h"
#include "log.h"
#include "memory.h"
#include "options.h"
#include "registry.h"

#define API __attribute__((visibility("default")))

/* Long enough for any task, short enough that ms -> ns never overflows. */
#define MAX_MS (1000ull * 3600 * 24 * 365 * 100)

static int fail(int err)
{
    errno = err;
    return -1;
}

/* The slot `h` points to, or NULL when it is not one. */
static struct lg_guard *slot_of(const struct guard *h)
{
    uintptr_t base = (uintptr_t)lg_slots, p = (uintptr_t)h;
    if (p < base || p - base >= sizeof lg_slots || (p - base) % sizeof(struct lg_guard))
        return NULL;
    return (struct lg_guard *)(uintptr_t)h;
}

/* Copy the caller's options over our defaults: a caller that knows fewer
 * fields (older header) gets defaults for the rest; one that knows more
 * (newer header) is accepted when the fields we do not know are zero. */
static bool read_options(void *dst, size_t dst_size, const void *src, size_t min_size)
{
    if (!src)
        return false;
    size_t size;
    memcpy(&size, src, sizeof size);
    if (size < min_size)
        return false;
    for (size_t i = dst_size; i < size; i++)
        if (((const unsigned char *)src)[i])
            return false;
    memcpy((char *)dst + sizeof size, (const char *)src + sizeof size,
           (size < dst_size ? size : dst_size) - sizeof size);
    return true;
}

/* The calling thread's id, cached: gettid(2) is a system call, a third of
 * the cost of begin + end.  The fork child's one thread has a new id: the
 * fork handler that forgets it is in place before any id is cached. */
static __thread pid_t cached_tid __attribute__((tls_model("initial-exec")));

void lg_api_forget_tid(void)
{
    cached_tid = 0;
}

static pid_t current_tid(void)
{
    if (!cached_tid) {
        lg_preload_watch_forks();
        cached_tid = (pid_t)syscall(SYS_gettid);
    }
    return cached_tid;
}

/* A thread that ends with guards armed: they end with it, or the watchdog
 * would later signal a thread id the kernel may have given to another. */
static pthread_key_t exit_key;
static bool have_exit_key;
static __thread bool exit_key_set __attribute__((tls_model("initial-exec")));

static void end_thread_guards(void *unused)
{
    (void)unused;
    int ended = 0;
    uint32_t used = atomic_load(&lg_slots_used);
    for (uint32_t i = 0; i < used; i++) {
        struct lg_desc d;
        uint32_t seq;
        if (lg_guard_read(&lg_slots[i], &d, &seq) && !d.from_env
            && (pid_t)d.tid == current_tid()
            && pthread_equal((pthread_t)d.thread, pthread_self())) {
            lg_guard_disarm(&lg_slots[i]);
            ended++;
        }
    }
    if (ended)
        lg_log("thread %d ended with %d guard%s armed: ended %s too", (int)current_tid(),
               ended, ended == 1 ? "" : "s", ended == 1 ? "it" : "them");
}

/* Made at the first guard begun, not in a constructor: most programs that
 * load libguard never begin one. */
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void make_exit_key(void)
{
    have_exit_key = pthread_key_create(&exit_key, end_thread_guards) == 0;
}

/* Once per thread that begins a guard: run end_thread_guards at its exit. */
static void watch_thread_exit(void)
{
    if (!exit_key_set)
        pthread_once(&exit_key_once, make_exit_key);
    if (!exit_key_set && have_exit_key)
        exit_key_set = pthread_setspecific(exit_key, (void *)1) == 0;
}

static struct lg_desc thread_desc(int kind, int interrupt, int send_kill, void *user_data)
{
    struct lg_desc d = {
        .kind = (uint64_t)kind,
        .tid = (uint64_t)current_tid(),
        .thread = (uint64_t)pthread_self(),
        .start_ns = lg_now(),
        .interrupt = (uint64_t)interrupt,
        .send_kill = send_kill != 0,
        .user_data = (uint64_t)(uintptr_t)user_data,
    };
    return d;
}

static bool valid_interrupt(int interrupt)
{
    return interrupt == GUARD_INTERRUPT_EXCEPTION || interrupt == GUARD_INTERRUPT_SIGNAL
        || interrupt == GUARD_INTERRUPT_EXCEPTION_THEN_SIGNAL;
}

/* guard.h's values are the ladder's rows by design; keep them so. */
_Static_assert((int)GUARD_INTERRUPT_EXCEPTION == (int)LG_INTERRUPT_EXCEPTION
               && (int)GUARD_INTERRUPT_SIGNAL == (int)LG_INTERRUPT_SIGNAL
               && (int)GUARD_INTERRUPT_EXCEPTION_THEN_SIGNAL
                  == (int)LG_INTERRUPT_EXCEPTION_THEN_SIGNAL,
               "guard_interrupt and lg_interrupt differ");

static struct guard *arm(const struct lg_desc *d)
{
    watch_thread_exit();
    struct lg_guard *g = lg_guard_arm(d);
    if (!g)
        errno = EAGAIN;
    return (struct guard *)g;
}

API struct guard *guard_time_begin(const struct guard_time_options *options)
{
    struct guard_time_options o = GUARD_TIME_OPTIONS_INIT;
    if (!read_options(&o, sizeof o, options,
                      offsetof(struct guard_time_options, timeout_ms) + sizeof o.timeout_ms)
        || o.timeout_ms == 0 || o.timeout_ms > MAX_MS || o.grace_period_ms > MAX_MS
        || !valid_interrupt(o.interrupt)) {
        errno = EINVAL;
        return NULL;
    }
    struct lg_desc d = thread_desc(LG_KIND_TIME, o.interrupt, o.send_kill, o.user_data);
    d.timeout_ns = o.timeout_ms * LG_NS_PER_MS;
    d.grace_ns = o.grace_period_ms * LG_NS_PER_MS;
    return arm(&d);
}

API struct guard *guard_mem_begin(const struct guard_mem_options *options)
{
    struct guard_mem_options o = GUARD_MEM_OPTIONS_INIT;
    if (!read_options(&o, sizeof o, options,
                      offsetof(struct guard_mem_options, max_bytes) + sizeof o.max_bytes)
        || o.max_bytes == 0 || o.max_bytes > UINT64_MAX / 2
        || o.grace_period_ms > MAX_MS || o.secondary_grace_period_ms > MAX_MS
        || o.check_interval_ms == 0 || o.check_interval_ms > MAX_MS
        || !valid_interrupt(o.interrupt)) {
        errno = EINVAL;
        return NULL;
    }
    struct lg_desc d = thread_desc(LG_KIND_MEMORY, o.interrupt, o.send_kill, o.user_data);
    d.max_bytes = o.max_bytes;
    if (!o.absolute) {
        /* Relative: growth since entry.  A blind guard is worse than none. */
        d.baseline_bytes = lg_memory_resident();
        if (!d.baseline_bytes) {
            errno = ENOTSUP;
            return NULL;
        }
    }
    d.grace_ns = o.grace_period_ms * LG_NS_PER_MS;
    d.secondary_grace_ns = o.secondary_grace_period_ms * LG_NS_PER_MS;
    d.check_interval_ns = o.check_interval_ms * LG_NS_PER_MS;
    return arm(&d);
}

API int guard_end(struct guard *guard)
{
    struct lg_guard *g = slot_of(guard);
    struct lg_desc d;
    uint32_t seq;
    /* Only the owner writes its slot, so a failed read means: not ours. */
    if (!g || !lg_guard_read(g, &d, &seq) || d.from_env
        || !pthread_equal((pthread_t)d.thread, pthread_self()))
        return fail(EINVAL);
    lg_guard_disarm(g);
    return 0;
}

API int guard_progress_on(struct guard *guard)
{
    struct lg_guard *g = slot_of(guard);
    if (!g || !atomic_load_explicit(&g->busy, memory_order_relaxed))
        return fail(EINVAL);
    lg_guard_progress(g);
    return 0;
}

/* ---- the handler route ---------------------------------------------------- */

struct handler {
    guard_handler fn;
    void *arg;
    int signo;
};

/* Published whole, so the watchdog never sees a new function with an old
 * argument.  A replaced one is never freed: the watchdog may be calling it
 * (registering is rare; a few bytes each time). */
static struct handler *_Atomic current;

static bool handler_raise(struct lg_guard *g, const struct lg_desc *d, int step,
                          const char *message)
{
    const struct handler *h = atomic_load(&current);
    if (!h)
        return false;
    struct guard_event ev = {
        .size = sizeof ev,
        .guard = (struct guard *)g,
        .kind = d->kind == LG_KIND_TIME ? GUARD_TIME : GUARD_MEMORY,
        .step = step,
        .process_guard = d->from_env != 0,
        .tid = (pid_t)d->tid,
        .thread = (pthread_t)d->thread,
        .user_data = d->from_env ? NULL : (void *)(uintptr_t)d->user_data,
        .message = message,
    };
    h->fn(&ev, h->arg);
    if (h->signo)
        syscall(SYS_tgkill, getpid(), (pid_t)d->tid, h->signo);
    return true;
}

static const struct lg_route handler_route = {
    .available = NULL,
    .raise = handler_raise,
    .withdraw = NULL,
};

API int guard_set_handler(guard_handler handler, void *arg, int signo)
{
    if (signo < 0 || signo >= SIGRTMAX + 1 || signo == SIGKILL || signo == SIGSTOP
        || (!handler && (arg || signo)))
        return fail(EINVAL);
    struct handler *h = NULL;
    if (handler) {
        h = malloc(sizeof *h);
        if (!h)
            return fail(ENOMEM);
        *h = (struct handler){ handler, arg, signo };
    }
    atomic_store(&current, h);
    atomic_store(&lg_handler_route, h ? &handler_route : NULL);
    return 0;
}
