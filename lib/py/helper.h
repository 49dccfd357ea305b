/* Raising in a thread other than the main one: CPython runs signal
 * handlers in the main thread only, so a helper thread takes the GIL and
 * calls PyThreadState_SetAsyncExc, raised at that thread's next bytecode
 * (after a blocking call returns).  While it waits for the GIL, the switch
 * interval is short, so a busy holder lets go at once.
 *
 * Helpers are disposable threads, born with every signal blocked, that own
 * nothing of libguard's: the interpreter may end or park them at exit. */
#ifndef LIBGUARD_PY_HELPER_H
#define LIBGUARD_PY_HELPER_H

#include <stdbool.h>

#include "py/deliver.h"

/* A detached thread running fn(arg), with every signal blocked.  False
 * when it could not be started.  Any thread. */
bool lg_py_start_thread(void *(*fn)(void *), void *arg);

/* Hand the READY request `r` to a new helper, which delivers and frees it.
 * False when no thread could be started (r is still READY then).  On the
 * watchdog. */
bool lg_py_helper_start(struct lg_py_request *r);

/* Raise the exception of request `r` (TAKEN) in its thread, unless its
 * guard was left, at once or, when the thread is in protected code, at its
 * next safe point (safepoint.h); then free it.  The step is reported
 * (lg_py_report) before the raise.  On the helper, GIL held. */
void lg_py_raise_in_thread(struct lg_py_request *r);

/* The address of the GIL's switch interval (3.12+, from the package, which
 * reads it from CPython's internal headers); before 3.12 the C API's
 * setter is used.  GIL held. */
void lg_py_helper_set_interval(unsigned long *interval_us);

/* The calling thread leaves guard slot `g` (GIL held): an exception a
 * helper set for it that has not been raised yet is dropped (only when
 * `async_pending`: the thread state has one set). */
void lg_py_helper_guard_left(const void *g, bool async_pending);

/* fork: no helper in the child. */
void lg_py_helper_in_child(void);

#endif
