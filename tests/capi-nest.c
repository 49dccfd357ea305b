/* capi-nest innermost|on
 *
 * Two nested time guards on the main thread, both with the exception step
 * only (the handler of capi.h notes each call): outer 800 ms, inner 300 ms.
 *
 * innermost: guard_progress() until 1200 ms reaches the inner guard only, so
 *   the outer fires (~800); then no progress: the inner fires (~1500).  The
 *   inner ends; progress until 2600 now reaches the outer, which starts over
 *   and fires again ~800 ms after the last progress (~3400).
 * on: guard_progress_on(outer) until 1200 ms: the inner fires (~300), the
 *   outer only ~800 ms after that progress stops (~2000). */
#include "capi.h"

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "innermost") && strcmp(argv[1], "on"))) {
        fprintf(stderr, "usage: capi-nest innermost|on\n");
        return 2;
    }
    record_start();
    guard_set_handler(note_handler, NULL, 0);
    struct guard *outer = time_guard(800, 60000, GUARD_INTERRUPT_EXCEPTION, "outer");
    struct guard *inner = time_guard(300, 60000, GUARD_INTERRUPT_EXCEPTION, "inner");
    if (!strcmp(argv[1], "on")) {
        progress_until(outer, 1200);
        spin_until(2600);
        end_guard(inner);
        end_guard(outer);
        record_line("done");
        return 0;
    }
    progress_until(NULL, 1200);
    spin_until(2000);
    end_guard(inner);
    record_line("inner-ended");
    progress_until(NULL, 2600);
    spin_until(4000);
    end_guard(outer);
    record_line("done");
    return 0;
}
