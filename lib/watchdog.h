/* The watchdog: one thread per process that sleeps until the next deadline of
 * any armed guard, then checks the guards and fires the steps due. */
#ifndef LIBGUARD_WATCHDOG_H
#define LIBGUARD_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

/* Make sure the watchdog will look at the registry no later than `when`
 * (lg_now() time): wakes it only if it sleeps past that.  Starts it if it
 * is not running.  Never blocks. */
void lg_watchdog_poke(uint64_t when);

/* Make it look again now, if it runs (never starts it).  Never blocks. */
void lg_watchdog_wake(void);

/* In a forked child: the watchdog thread is gone; forget it. */
void lg_watchdog_forget(void);

/* Set once the program has begun to exit: no step fires after it. */
extern _Atomic bool lg_exiting;

/* Counters for bench/ and tests. */
extern _Atomic uint64_t lg_watchdog_wakeups;

#endif
