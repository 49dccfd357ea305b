/* Delivering ExecutionTimeout / MemoryLimitExceeded in CPython: the route
 * the ladder raises through (lg_default_route), the exceptions due, the
 * exception classes, and the interpreter's state as delivery sees it.
 *
 * Ownership: the watchdog writes a request (route raise) and hands it to
 * exactly one deliverer, who frees it: the main thread's signal handler or
 * pending call (lg_py_deliver_main), or a helper thread for any other
 * thread (helper.c, lg_py_raise_in_thread).  Python objects here are made
 * with the GIL held and kept for good. */
#ifndef LIBGUARD_PY_DELIVER_H
#define LIBGUARD_PY_DELIVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "py/capi.h"
#include "registry.h"

enum lg_py_mode {
    LG_PY_STARTING, /* interpreter not yet running the program: defer */
    LG_PY_SIGNAL,   /* our handler for the Python signal is installed */
    LG_PY_PENDING,  /* no signal of ours: pending calls for the main thread */
    LG_PY_OFF,      /* could not set up: the ladder uses signals */
};
extern _Atomic int lg_py_mode;

/* True once the interpreter is exiting (or the program is): no C API call
 * from outside any more.  Any thread. */
bool lg_py_finishing(void);
/* The interpreter begins to finalise: waits for the watchdog's calls into
 * the C API in flight (lg_py_inflight), a few µs.  GIL held. */
void lg_py_begin_finalising(void);
extern _Atomic int lg_py_inflight;

/* The python executable runs this process (a step while it starts waits
 * for install; an embedding program never gets there). */
extern bool lg_py_interpreter_main;

/* One exception due: FREE -> WRITING (watchdog) -> READY -> TAKEN
 * (deliverer) -> FREE. */
enum { LG_PY_FREE, LG_PY_WRITING, LG_PY_READY, LG_PY_TAKEN };
struct lg_py_request {
    _Atomic int state;
    struct lg_guard *guard;
    uint32_t seq;          /* the guard's incarnation when it fired */
    int kind;              /* enum lg_kind */
    int step;
    pid_t tid;
    unsigned long ident;   /* the target's pthread_t: CPython's thread id */
    char message[200];
};

/* Is the guard that fired still armed (not left since)?  GIL held. */
bool lg_py_request_current(const struct lg_py_request *r);

/* The exception class for `kind` (borrowed), made at the first need; NULL
 * with a Python error set when it cannot be.  GIL held. */
PyObject *lg_py_class(int kind);
/* All three, made now: base, ExecutionTimeout, MemoryLimitExceeded.  False
 * with a Python error set.  GIL held. */
bool lg_py_classes(PyObject **base, PyObject **timeout, PyObject **memory);

/* The package's report of a step (_helpers._report), when the core's log
 * is held: called GIL held by whoever raises, before the exception can be
 * caught (the target itself, just before; a helper, before it raises in
 * another thread), any exception already set kept. */
void lg_py_set_reporter(PyObject *report);
void lg_py_report(const struct lg_py_request *r);

/* Deliver the exception due to the main thread, now: -1 with it set, else
 * 0.  Main thread, GIL held (our signal handler, or a pending call). */
int lg_py_deliver_main(void);

/* The route for guards in this interpreter (installed as lg_default_route). */
extern const struct lg_route lg_py_route;

/* Is an exception due to the main thread (a step that came while Python
 * was starting)?  Any thread. */
bool lg_py_main_has_due(void);

/* install.c, once set up on the main thread: deliver a step that came
 * while Python was starting (through the signal when it is ours). */
void lg_py_deliver_started(bool signal_ours);

/* fork: the child has no request in flight. */
void lg_py_deliver_in_child(void);

#endif
