/* The kernel's clock_gettime, called directly.  glibc's wrapper adds about
 * 1.5 ns to the ~3 ns of a coarse clock read, half of guard_progress()'s
 * budget of 5 ns.  Resolved by the watchdog as it starts, not in every
 * process that loads libguard (most arm nothing); until then, and where
 * there is no vDSO, lg_coarse_now() uses libc's clock_gettime, which reads
 * the same clock.
 *
 * Found in the vDSO's own symbol table (elfsym.h; the vDSO is mapped in
 * every process, its address in the auxiliary vector): dlopen and dlsym
 * cost a short-lived process some 12,000 instructions, this a few hundred. */
#include "config.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "clock.h"
#include "elfsym.h"
#include "startdata.h"

/* libc's, through a function of ours: taking the address of an imported
 * function would cost every process a symbol lookup as it loads. */
static int libc_clock(clockid_t id, struct timespec *t)
{
    return clock_gettime(id, t);
}

_Atomic(lg_clock_fn) lg_coarse_clock = libc_clock;
uint64_t lg_coarse_lag LG_START_DATA;

void lg_measure_coarse_lag(void)
{
    struct timespec res;
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0)
        lg_coarse_lag = 2 * lg_ns_of(&res);
}

void lg_find_vdso_clock(void)
{
    if (atomic_load_explicit(&lg_coarse_clock, memory_order_relaxed) != libc_clock)
        return; /* found before the fork that made this process */
    lg_clock_fn fn = (lg_clock_fn)lg_vdso_symbol("__vdso_clock_gettime");
    struct timespec t;
    /* Trust it only once it has answered. */
    if (fn && fn(CLOCK_MONOTONIC_COARSE, &t) == 0)
        atomic_store_explicit(&lg_coarse_clock, fn, memory_order_relaxed);
}
