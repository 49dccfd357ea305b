/* A main thread that ends with pthread_exit() while other threads run on:
 * the process must still end when its last thread does (lastthread.c). */
#ifndef LIBGUARD_LASTTHREAD_H
#define LIBGUARD_LASTTHREAD_H

#include <stdbool.h>
#include <stdint.h>

/* The main thread is leaving (pthread_exit in it; exit.c), or a step found it
 * gone: from now on the watchdog looks for the end of the last thread. */
void lg_main_leaving(void);

/* Has the main thread ended (a zombie, while other threads run)?  Reads
 * /proc; for the watchdog. */
bool lg_main_ended(void);

/* On the watchdog, at each wake-up: LG_NEVER while the main thread has not
 * left.  After: once no thread of the program is left, ends the process as
 * glibc would have at the end of its last thread (exit(0)), and does not
 * return; until then, returns when to look again. */
uint64_t lg_last_thread_check(uint64_t now);

/* In a forked child: its only thread is its main thread. */
void lg_last_thread_forget(void);

#endif
