/* capi-args: bad arguments are errors (EINVAL), not crashes.  Prints
 * "ok WHAT" or "FAIL WHAT" per check, then "checks N". */
#include <pthread.h>

#include "capi.h"

static int checks;

static void expect(int ok, const char *what)
{
    checks++;
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
}

/* `call` failed with EINVAL. */
#define EINVAL_FROM(call, what)                                               \
    do {                                                                      \
        errno = 0;                                                            \
        long r_ = (long)(intptr_t)(call);                                     \
        expect((r_ == 0 || r_ == -1) && errno == EINVAL, what);               \
    } while (0)

/* A thread that begins a guard, lets main try it (two barriers), and ends
 * without guard_end. */
static struct guard *from_other_thread;
static pthread_barrier_t begun, tried;

static void *begin_in_thread(void *unused)
{
    (void)unused;
    struct guard_time_options o = GUARD_TIME_OPTIONS_INIT;
    from_other_thread = guard_time_begin(&o);
    pthread_barrier_wait(&begun);
    pthread_barrier_wait(&tried);
    return NULL;
}

static void *end_in_thread(void *g)
{
    errno = 0;
    int r = guard_end(g);
    return (void *)(intptr_t)(r == -1 && errno == EINVAL);
}

int main(void)
{
    struct guard_time_options t = GUARD_TIME_OPTIONS_INIT;
    struct guard_mem_options m = GUARD_MEM_OPTIONS_INIT;

    EINVAL_FROM(guard_time_begin(NULL), "time: NULL options");
    t.size = 0;
    EINVAL_FROM(guard_time_begin(&t), "time: size 0");
    t = (struct guard_time_options)GUARD_TIME_OPTIONS_INIT;
    t.timeout_ms = 0;
    EINVAL_FROM(guard_time_begin(&t), "time: timeout 0");
    t = (struct guard_time_options)GUARD_TIME_OPTIONS_INIT;
    t.interrupt = 7;
    EINVAL_FROM(guard_time_begin(&t), "time: unknown interrupt type");
    t = (struct guard_time_options)GUARD_TIME_OPTIONS_INIT;
    t.timeout_ms = UINT64_MAX;
    EINVAL_FROM(guard_time_begin(&t), "time: timeout overflows");

    EINVAL_FROM(guard_mem_begin(NULL), "memory: NULL options");
    EINVAL_FROM(guard_mem_begin(&m), "memory: max_bytes 0");
    m.max_bytes = 1 << 30;
    m.check_interval_ms = 0;
    EINVAL_FROM(guard_mem_begin(&m), "memory: check interval 0");

    /* A newer caller's larger options: fine while the unknown tail is zero. */
    struct { struct guard_time_options o; uint64_t future; } big = { GUARD_TIME_OPTIONS_INIT, 0 };
    big.o.size = sizeof big;
    struct guard *g = guard_time_begin(&big.o);
    expect(g != NULL && guard_end(g) == 0, "time: larger options, zero tail accepted");
    big.future = 1;
    EINVAL_FROM(guard_time_begin(&big.o), "time: larger options, unknown field set");
    /* An older caller's smaller options: defaults for the rest. */
    t = (struct guard_time_options)GUARD_TIME_OPTIONS_INIT;
    t.size = offsetof(struct guard_time_options, timeout_ms) + sizeof t.timeout_ms;
    g = guard_time_begin(&t);
    expect(g != NULL && guard_end(g) == 0, "time: smaller options, defaults for the rest");

    EINVAL_FROM(guard_end(NULL), "end: NULL");
    int local;
    EINVAL_FROM(guard_end((struct guard *)&local), "end: not a guard");
    t = (struct guard_time_options)GUARD_TIME_OPTIONS_INIT;
    g = guard_time_begin(&t);
    EINVAL_FROM(guard_end((struct guard *)((char *)g + 8)), "end: inside a guard");
    expect(guard_end(g) == 0, "end: a guard");
    EINVAL_FROM(guard_end(g), "end: twice");
    EINVAL_FROM(guard_progress_on(g), "progress_on: an ended guard");
    EINVAL_FROM(guard_progress_on(NULL), "progress_on: NULL");
    EINVAL_FROM(guard_progress_on((struct guard *)&local), "progress_on: not a guard");

    /* Only the thread that began a guard ends it. */
    pthread_t th;
    g = guard_time_begin(&t);
    void *refused;
    pthread_create(&th, NULL, end_in_thread, g);
    pthread_join(th, &refused);
    expect(refused != NULL, "end: from another thread");
    expect(guard_end(g) == 0, "end: then by its own thread");
    pthread_barrier_init(&begun, NULL, 2);
    pthread_barrier_init(&tried, NULL, 2);
    pthread_create(&th, NULL, begin_in_thread, NULL);
    pthread_barrier_wait(&begun);
    expect(from_other_thread != NULL && guard_progress_on(from_other_thread) == 0,
           "progress_on: another thread's guard");
    EINVAL_FROM(guard_end(from_other_thread), "end: another thread's guard");
    pthread_barrier_wait(&tried);
    pthread_join(th, NULL);
    /* It ended with its thread, which never called guard_end. */
    EINVAL_FROM(guard_progress_on(from_other_thread), "progress_on: a guard whose thread ended");
    EINVAL_FROM(guard_end(from_other_thread), "end: a guard whose thread ended");

    EINVAL_FROM(guard_set_handler(note_handler, NULL, -1), "handler: signal -1");
    EINVAL_FROM(guard_set_handler(note_handler, NULL, SIGKILL), "handler: SIGKILL");
    EINVAL_FROM(guard_set_handler(note_handler, NULL, 100000), "handler: signal 100000");
    EINVAL_FROM(guard_set_handler(NULL, NULL, SIGUSR1), "handler: signal without handler");
    expect(guard_set_handler(note_handler, NULL, SIGUSR1) == 0, "handler: set");
    expect(guard_set_handler(NULL, NULL, 0) == 0, "handler: cleared");

    printf("checks %d\n", checks);
    return 0;
}
