/* stress-threads THREADS MS [AFTER_MS]
 *
 * THREADS threads, for MS milliseconds each, begin and end scoped time and
 * memory guards, nest them, and report progress (guard_progress and
 * guard_progress_on) as fast as they can, while the process guard of the
 * shim (if any) watches the main thread.  None of their guards may fire
 * (timeouts far away).  Prints "cycles N" and exits 0; any failed call is
 * reported and makes it exit 1.  With AFTER_MS, the main thread then spins
 * AFTER_MS more without progress, recording signals (record.h).  For the sanitizers (TSan: the watchdog
 * against the owners), valgrind, and as a plain stress test. */
#include <guard.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "record.h"

static long run_ms;
static atomic_long cycles, failures;

static void *worker(void *arg)
{
    (void)arg;
    struct guard_time_options outer_o = GUARD_TIME_OPTIONS_INIT;
    outer_o.timeout_ms = 60000;
    struct guard_time_options inner_o = GUARD_TIME_OPTIONS_INIT;
    inner_o.timeout_ms = 30000;
    struct guard_mem_options mem_o = GUARD_MEM_OPTIONS_INIT;
    mem_o.max_bytes = 1ull << 40;
    mem_o.check_interval_ms = 5;
    while (record_ms() < run_ms) {
        struct guard *outer = guard_time_begin(&outer_o);
        struct guard *mem = guard_mem_begin(&mem_o);
        if (!outer || !mem) {
            /* EAGAIN is the table being full: allowed, counted */
            if (errno != EAGAIN)
                atomic_fetch_add(&failures, 1);
        }
        for (int i = 0; i < 100; i++) {
            struct guard *inner = guard_time_begin(&inner_o);
            guard_progress();
            if (inner && guard_progress_on(inner) != 0)
                atomic_fetch_add(&failures, 1);
            if (inner && guard_end(inner) != 0)
                atomic_fetch_add(&failures, 1);
        }
        if (mem && guard_end(mem) != 0)
            atomic_fetch_add(&failures, 1);
        if (outer && guard_end(outer) != 0)
            atomic_fetch_add(&failures, 1);
        atomic_fetch_add(&cycles, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: stress-threads THREADS MS [AFTER_MS]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    run_ms = atol(argv[2]);
    record_start();
    pthread_t threads[256];
    if (n > 256)
        n = 256;
    for (int i = 0; i < n; i++)
        pthread_create(&threads[i], NULL, worker, NULL);
    while (record_ms() < run_ms)
        guard_progress();
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    printf("cycles %ld failures %ld\n", atomic_load(&cycles), atomic_load(&failures));
    fflush(stdout);
    if (argc == 4) {
        record_handlers();
        spin_until(run_ms + atol(argv[3]));
    }
    return atomic_load(&failures) ? 1 : 0;
}
