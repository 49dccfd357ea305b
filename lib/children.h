/* Waiting parents: a process whose guarded thread is blocked waiting for a
 * child process that carries libguard's guard itself is not stuck.  Shells,
 * init processes (tini), timeout(1), xargs and make spend their lives so;
 * the child's own guard deals with a child that is stuck, so the parent's
 * time guard waits with it (watchdog.c asks shortly before a deadline and
 * at it, nowhere else).
 *
 * Contract between processes: while libguard's watchdog runs in a process,
 * its thread is named LG_WATCHDOG_NAME (see /proc/PID/task/TID/comm, or
 * `ps -L`).  That name is how a parent tells a guarded child from one that
 * is not (a static or setuid program, one the shim left out, one started
 * with LIBGUARD_CHILDREN=none). */
#ifndef LIBGUARD_CHILDREN_H
#define LIBGUARD_CHILDREN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LG_WATCHDOG_NAME "libguard"

/* The shim's LIBGUARD_CHILDREN: with `none` the children run unguarded, so
 * waiting for them never counts (false).  Default: true.  Before any guard
 * is armed. */
void lg_children_configure(bool waits_count);
/* What was configured: do waits for guarded children count?  Any thread. */
bool lg_children_waits_count(void);

/* Name the calling thread LG_WATCHDOG_NAME.  The watchdog, as it starts. */
void lg_children_name_watchdog(void);

/* Is thread `tid` of this process blocked waiting for a child: in wait4 or
 * waitid, in a signal wait (rt_sigsuspend, rt_sigtimedwait, pause), or in
 * ppoll, pselect6 or epoll_pwait given a signal mask that lets a caught
 * SIGCHLD in (make's job server), while a live child it may be waiting for
 * runs libguard's watchdog?  Then returns that child's pid and writes the
 * call's name into `call`.  When no child runs it but one started less
 * than `young_ns` ago (its guard may not have started yet: ld.so, the
 * constructor) or has just ended (a zombie: the wait is ending), returns
 * minus that child's pid: ask again soon.  A child that is exiting counts
 * as one that has ended.  Else 0.
 * For the watchdog, near a deadline only: it reads a few /proc files, never
 * blocks on the program, takes no lock the program may hold, and changes
 * nothing. */
pid_t lg_children_guarded_wait(pid_t tid, uint64_t young_ns, char *call, size_t size);

#endif
