/* capi-threads
 *
 * Guards target the thread that began them.  A worker begins a 300 ms time
 * guard (signal ladder) and spins without progress until 1000 ms; the main
 * thread begins a 600 ms one and reports progress with guard_progress()
 * until 1500 ms, then spins until 2600 ms.  SIGINT and SIGTERM are recorded
 * with the thread that ran the handler (record.h): the worker's SIGINT comes
 * ~300 ms (the main thread's progress is not the worker's), the main
 * thread's ~2100 ms. */
#include <pthread.h>

#include "capi.h"

static void *worker(void *unused)
{
    (void)unused;
    struct guard *g = time_guard(300, 60000, GUARD_INTERRUPT_SIGNAL, "worker");
    spin_until(1000);
    end_guard(g);
    record_line("worker-done");
    return NULL;
}

int main(void)
{
    record_start();
    record_handlers();
    struct guard *g = time_guard(600, 60000, GUARD_INTERRUPT_SIGNAL, "main");
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    progress_until(NULL, 1500);
    spin_until(2600);
    pthread_join(t, NULL);
    end_guard(g);
    record_line("done");
    return 0;
}
