/* libguard: keep a running task within its time and memory budget.
 *
 * Progress: call guard_progress_if_loaded() whenever the task moves on (a
 * record done, a page parsed).  It resets the time guard of the calling
 * thread (else the process guard that LIBGUARD_TIMEOUT arms).  It costs a
 * few nanoseconds, takes no lock, makes no system call, and does nothing
 * when libguard is not loaded, so one binary runs with and without it:
 *
 *     #include <guard.h>
 *     for (...) { work(); guard_progress_if_loaded(); }
 *
 * See libguard(7). */
#ifndef GUARD_H
#define GUARD_H

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

#ifdef __cplusplus
}
#endif

#endif
