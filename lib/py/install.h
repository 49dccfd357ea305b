/* Taking the Python signal and knowing when the interpreter exits, done
 * once on the main thread with the GIL held (lg_py_install), and whether
 * the signal is still ours when a step comes (on the watchdog).
 *
 * libguard takes LIBGUARD_PYTHON_SIGNAL only while the program leaves it
 * alone: handled, ignored in C or blocked, it stays the program's, and the
 * main thread's exceptions come through pending calls.  Owned here: the
 * handler object, the wrappers of _signal.signal and (3.8)
 * _signal.pthread_sigmask and threading._shutdown, the atexit callback. */
#ifndef LIBGUARD_PY_INSTALL_H
#define LIBGUARD_PY_INSTALL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

/* Set up delivery: take `signo` (0: take none, quietly) if the program
 * leaves it alone, wrap what tells us of its changes, register the atexit
 * callback, set lg_py_mode, and deliver a step that came while Python was
 * starting.  Once per process; GIL held.  Off the main thread no signal is
 * taken (CPython sets handlers from the main thread only). */
void lg_py_install(int signo);
extern _Atomic bool lg_py_install_tried;

/* The signal our handler is installed for, else 0. */
extern int lg_py_signal;

/* Should the watchdog send the signal to thread `tid` (the main thread)
 * for this step?  False when the program took it over or blocks it there
 * (each said once in the log).  On the watchdog. */
bool lg_py_signal_usable(pid_t tid);

/* 3.8 only: pending calls are safe (threading._shutdown is wrapped). */
bool lg_py_pending_calls_safe(void);

#endif
