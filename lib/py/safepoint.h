/* Delivering ExecutionTimeout / MemoryLimitExceeded only at safe points
 * (doc/safe-delivery.md): never between two bytecodes of the standard
 * library's lock bookkeeping, nor inside a section the program protects.
 * safepoint.c decides (may the exception land here?) and keeps the
 * program's marks; defer.c holds the exception back with a trace function
 * until the decision says yes.
 *
 * Contract:
 * - Every function here is called with the GIL held, on the thread named
 *   (the main thread for lg_safepoint_defer), through the C API table
 *   (capi.h): no libpython is linked.
 * - One exception is deferred at a time, per process.  While it is, the
 *   thread runs a C trace function (chained with the program's own, which
 *   is put back at delivery) that raises it at the first safe point, or
 *   forced after 10 ms and 1000 instructions inside protected code (the
 *   log says "forced").
 * - The caller owns "what is due": `ops` answers whether the exception is
 *   still due (a guard left meanwhile withdraws it) and raises it; both are
 *   called from the trace function, GIL held, on the target thread. */
#ifndef LIBGUARD_PY_SAFEPOINT_H
#define LIBGUARD_PY_SAFEPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "py/capi.h"

struct lg_safepoint_ops {
    /* Set the due exception and return -1; 0 if nothing is due any more. */
    int (*raise_now)(void);
    /* Is an exception still due for the deferred thread? */
    bool (*due)(void);
};

/* Once, GIL held, before a guard can fire (lg_py_install): the opcode table
 * of this interpreter's version (opcodes.h) and what the tracer needs; no
 * Python code runs and nothing is imported.  False when this interpreter
 * cannot be served: exceptions are then raised at once. */
bool lg_safepoint_prepare(void);

/* In the main thread's handler (or pending call), with an exception due:
 * true when the interrupted frame is not a safe point and the delivery has
 * been deferred (ops->raise_now is called later, by the trace function),
 * or is already being deferred; false: raise it now (also when the
 * mechanism is unavailable: the old, immediate behaviour).  `what` names
 * the exception for the log. */
bool lg_safepoint_defer(const struct lg_safepoint_ops *ops, const char *what);

/* For a thread that is not the current one (a helper, GIL held, the target
 * parked): `ident` is the target's thread ident.  True when deferred (the
 * target's tracer raises later); false: raise now (PyThreadState_SetAsyncExc). */
bool lg_safepoint_defer_thread(unsigned long ident, const struct lg_safepoint_ops *ops,
                               const char *what);

/* ---- between safepoint.c and defer.c ------------------------------------ */

enum lg_safepoint_where {
    LG_SP_IN_HANDLER, /* the handler: the frame's current instruction */
    LG_SP_AT_OPCODE,  /* the tracer, before an instruction */
    LG_SP_AT_START,   /* the tracer, a function begins */
};
/* May the exception land in `frame`, innermost of thread `ident`? */
bool lg_safepoint_may_raise(PyObject *frame, enum lg_safepoint_where where, unsigned long ident);
/* visit(f, arg) for `frame` and its callers, innermost first, at most
 * `max` of them, until it returns true: true if it did.  An error reading
 * a caller ends the walk and is cleared. */
bool lg_safepoint_each_frame(PyObject *frame, int max, bool (*visit)(PyObject *, void *),
                             void *arg);
/* Inside protected code: the calling thread in `with deferred()`, a
 * program mark on the stack, or a lexically protected `frame` (its
 * innermost).  For leaving deferred() and for the log. */
bool lg_safepoint_protected_frame(PyObject *frame);
/* "threading.Condition.__exit__", for the log. */
void lg_safepoint_where_is(PyObject *frame, char *out, size_t size);
/* A local trace function that does nothing (3.13: opcode events need one). */
extern PyObject *lg_safepoint_f_trace_stub;
/* The calling thread leaves a `with deferred()`: its depth now. */
int lg_safepoint_depth_leave(void);
/* fork, in the child: a deferral for a thread not here is forgotten. */
void lg_safepoint_defer_in_child(void);

#endif
