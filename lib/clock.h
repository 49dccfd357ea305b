/* Monotonic time in nanoseconds.
 *
 * lg_now() is precise (vDSO, ~20 ns).  lg_coarse_now() reads the clock the
 * kernel updates at each tick (~3 ns, never a system call): cheap enough for
 * progress reports.  It lags lg_now() by up to two ticks (seen here: 3.4 to
 * 7.4 ms with a 4 ms tick); lg_coarse_lag bounds that. */
#ifndef LIBGUARD_CLOCK_H
#define LIBGUARD_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t lg_ns_of(const struct timespec *t)
{
    return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

static inline uint64_t lg_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return lg_ns_of(&t);
}

/* The vDSO's clock_gettime once lg_find_vdso_clock() has found it (the
 * watchdog, as it starts), else libc's: the same clock either way.  Atomic
 * because threads read it while the watchdog sets it (relaxed: a plain
 * load). */
typedef int (*lg_clock_fn)(clockid_t, struct timespec *);
extern _Atomic(lg_clock_fn) lg_coarse_clock;
void lg_find_vdso_clock(void);

static inline uint64_t lg_coarse_now(void)
{
    struct timespec t;
    atomic_load_explicit(&lg_coarse_clock, memory_order_relaxed)(CLOCK_MONOTONIC_COARSE, &t);
    return lg_ns_of(&t);
}

/* Two ticks of lg_coarse_now(), for the watchdog (its only reader): set by
 * lg_measure_coarse_lag() as it starts, not in every process that loads
 * libguard. */
extern uint64_t lg_coarse_lag;
void lg_measure_coarse_lag(void);

#define LG_NEVER UINT64_MAX

#endif
