/* Safe points for ExecutionTimeout / MemoryLimitExceeded: the decision
 * and the program's marks (safepoint.h; doc/safe-delivery.md says why each
 * rule is correct).  The deferral itself is defer.c's.
 *
 * may the exception land in this frame?
 *   - a program mark (@libguard.protected code anywhere on the stack, or a
 *     `with libguard.deferred():` depth above 0): no;
 *   - Condition.wait's `waiter.acquire()` and Thread.join's wait (the wait
 *     sites): yes;
 *   - a lexically protected frame (threading, queue, logging, ...; any
 *     __enter__/__exit__/__del__): no;
 *   - otherwise only at a call: the call instruction itself (handler: the
 *     call is in progress or has just returned), the instruction after one
 *     (tracer), or the start of a function (tracer, `call` event). */
#include "config.h"
#include "py/safepoint.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "guard-package.h"
#include "log.h"
#include "py/opcodes.h"
#include "py/waitsites.h"

#define MAX_CACHED 4096 /* code objects whose call offsets we keep */

static bool ready, failed;
/* A flag per opcode: the instruction calls (3.11's PRECALL too: its
 * specialised forms make the call themselves and skip the CALL, so it is a
 * call in progress or just returned for the handler, but the instruction
 * after it is not after a call); and the inline caches to skip. */
static bool call_op[256], cache_op[256], precall_op[256];
static PyObject *offsets_cache;    /* code -> bytes: a flag per code unit */
static PyObject *marks;            /* set of code objects (@protected) */
PyObject *lg_safepoint_f_trace_stub; /* a local trace function that does nothing */
enum { AT_CALL = 1, AFTER_CALL = 2 };

static const char *const protected_modules[] = {
    "threading", "queue", "logging", "logging.handlers", "concurrent.futures._base",
    "concurrent.futures.thread", "concurrent.futures.process", "multiprocessing.synchronize",
    "multiprocessing.queues", "multiprocessing.pool", "_threading_local", NULL,
};
static const char *const protected_names[] = {
    "__enter__", "__exit__", "__aenter__", "__aexit__", "__del__", NULL,
};

static PyObject *f_trace_stub(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    lg_py.IncRef(lg_py.None);
    return lg_py.None;
}

static struct py_method_def f_trace_stub_def = {
    "libguard_f_trace", f_trace_stub, PY_METH_VARARGS,
    "libguard: a frame's trace function that does nothing (opcode events need one).",
};

/* Once, GIL held: false when this interpreter cannot be served (the caller
 * then raises at once, as before).  Runs no Python code and imports
 * nothing: the program's start-up stays its own. */
bool lg_safepoint_prepare(void)
{
    if (ready || failed)
        return ready;
    failed = true;
    unsigned char kinds[256];
    if (lg_py_resolve() && lg_opcode_kinds(lg_py_minor, kinds)) {
        for (int op = 0; op < 256; op++) {
            call_op[op] = kinds[op] == LG_OP_CALL;
            precall_op[op] = kinds[op] == LG_OP_PRECALL;
            cache_op[op] = kinds[op] == LG_OP_CACHE;
        }
        lg_safepoint_f_trace_stub = lg_py.CFunctionNewEx(&f_trace_stub_def, NULL, NULL);
        offsets_cache = lg_py.DictNew();
        ready = offsets_cache && lg_safepoint_f_trace_stub;
        lg_py.Clear();
    }
    if (!ready)
        lg_log("could not set up safe delivery (CPython 3.%d): ExecutionTimeout and "
               "MemoryLimitExceeded are raised at once, wherever the thread is", lg_py_minor);
    failed = !ready;
    return ready;
}

/* ---- the program's marks --------------------------------------------------- */

/* `with libguard.deferred():` depth of each thread; the table lets the
 * package's helper thread read another thread's. */
struct depth_slot {
    _Atomic unsigned long ident;
    _Atomic int depth;
};
#define N_SLOTS 256
static struct depth_slot slots[N_SLOTS];
/* initial-exec: one TLS read, no __tls_get_addr call, on deferred()'s path */
static __thread struct {
    int depth;
    bool tried; /* to claim a slot (there may be none left) */
    struct depth_slot *slot;
} mine __attribute__((tls_model("initial-exec")));
static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

static void free_slot(void *slot)
{
    atomic_store(&((struct depth_slot *)slot)->ident, 0);
}

static void slots_in_child(void);

static void make_key(void)
{
    pthread_key_create(&slot_key, free_slot);
    pthread_atfork(NULL, NULL, slots_in_child);
}

static void claim_slot(void)
{
    pthread_once(&slot_once, make_key);
    unsigned long me = (unsigned long)pthread_self();
    for (int i = 0; i < N_SLOTS; i++) {
        unsigned long free = 0;
        if (atomic_compare_exchange_strong(&slots[i].ident, &free, me)) {
            mine.slot = &slots[i];
            pthread_setspecific(slot_key, mine.slot);
            return;
        }
    }
}

static int depth_of(unsigned long ident)
{
    if (ident == (unsigned long)pthread_self())
        return mine.depth;
    for (int i = 0; i < N_SLOTS; i++)
        if (atomic_load(&slots[i].ident) == ident)
            return atomic_load_explicit(&slots[i].depth, memory_order_relaxed);
    return 0;
}

bool lg_safepoint_each_frame(PyObject *frame, int max, bool (*visit)(PyObject *, void *),
                             void *arg)
{
    PyObject *f = frame;
    lg_py.IncRef(f);
    bool stopped = false;
    for (int n = 0; f && f != lg_py.None && !stopped && n < max; n++) {
        stopped = visit(f, arg);
        PyObject *back = lg_py.GetAttrString(f, "f_back");
        lg_py.DecRef(f);
        f = back;
    }
    lg_py_xdecref(f);
    lg_py.Clear();
    return stopped;
}

static bool is_marked(PyObject *f, void *unused)
{
    (void)unused;
    PyObject *code = lg_py.GetAttrString(f, "f_code");
    bool found = code && lg_py.SetContains(marks, code) == 1;
    lg_py_xdecref(code);
    return found;
}

static bool marked(PyObject *frame)
{
    if (!marks || lg_py.SetSize(marks) == 0)
        return false;
    return lg_safepoint_each_frame(frame, 10000, is_marked, NULL);
}

/* ---- the decision ------------------------------------------------------------ */

static long lasti_of(PyObject *frame)
{
    PyObject *l = lg_py.GetAttrString(frame, "f_lasti");
    long v = l ? lg_py.AsLong(l) : -1;
    lg_py_xdecref(l);
    return v;
}

static bool in_list(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static bool lexically_protected(PyObject *frame, PyObject *code)
{
    PyObject *name = lg_py.GetAttrString(code, "co_name");
    bool yes = name && in_list(lg_py.UnicodeAsUTF8(name), protected_names);
    lg_py_xdecref(name);
    if (!yes) {
        PyObject *globals = lg_py.GetAttrString(frame, "f_globals");
        PyObject *module = globals ? lg_py.DictGetItemString(globals, "__name__") : NULL;
        yes = module && in_list(lg_py.UnicodeAsUTF8(module), protected_modules);
        lg_py_xdecref(globals);
    }
    return yes;
}

/* A flag per code unit (AT_CALL, AFTER_CALL), from co_code, cached. */
static int flags_at(PyObject *code, long lasti)
{
    if (lasti < 0)
        return 0;
    PyObject *flags = lg_py.DictGetItem(offsets_cache, code);
    if (!flags) {
        PyObject *bytecode = lg_py.GetAttrString(code, "co_code");
        const unsigned char *b = bytecode ? (const unsigned char *)lg_py.BytesAsString(bytecode) : NULL;
        ssize_t n = b ? lg_py.BytesSize(bytecode) / 2 : 0;
        flags = b ? lg_py.BytesFromStringAndSize(NULL, n) : NULL;
        if (flags) {
            unsigned char *f = (unsigned char *)lg_py.BytesAsString(flags);
            memset(f, 0, (size_t)n);
            for (ssize_t i = 0; i < n; i++) {
                if (precall_op[b[2 * i]])
                    f[i] |= AT_CALL;
                if (!call_op[b[2 * i]])
                    continue;
                f[i] |= AT_CALL;
                ssize_t next = i + 1;
                while (next < n && cache_op[b[2 * next]])
                    next++;
                if (next < n)
                    f[next] |= AFTER_CALL;
            }
            if (lg_py.DictSize(offsets_cache) >= MAX_CACHED)
                lg_py.DictClear(offsets_cache);
            lg_py.DictSetItem(offsets_cache, code, flags);
            lg_py.DecRef(flags); /* the cache holds it */
        }
        lg_py_xdecref(bytecode);
        if (!flags) {
            lg_py.Clear();
            return 0;
        }
    }
    long unit = lasti / 2;
    return unit < lg_py.BytesSize(flags) ? ((const unsigned char *)lg_py.BytesAsString(flags))[unit] : 0;
}

static bool lexically_protected_frame(PyObject *frame)
{
    PyObject *code = lg_py.GetAttrString(frame, "f_code");
    bool yes = code && lexically_protected(frame, code);
    lg_py_xdecref(code);
    lg_py.Clear();
    return yes;
}

/* May the exception land in `frame` (innermost of the thread `ident`)? */
bool lg_safepoint_may_raise(PyObject *frame, enum lg_safepoint_where where, unsigned long ident)
{
    if (depth_of(ident) > 0 || marked(frame))
        return false;
    PyObject *code = lg_py.GetAttrString(frame, "f_code");
    if (!code) {
        lg_py.Clear();
        return true;
    }
    long lasti = where == LG_SP_AT_START ? -1 : lasti_of(frame);
    bool yes;
    if (where != LG_SP_AT_START && lg_wait_site_at(code, lasti))
        yes = true;
    else if (lexically_protected(frame, code))
        yes = false;
    else if (where == LG_SP_AT_START)
        yes = true;
    else
        yes = flags_at(code, lasti) & (where == LG_SP_IN_HANDLER ? AT_CALL : AFTER_CALL);
    lg_py.DecRef(code);
    lg_py.Clear();
    return yes;
}

/* "threading.Condition.__exit__", for the log. */
void lg_safepoint_where_is(PyObject *frame, char *out, size_t size)
{
    PyObject *code = lg_py.GetAttrString(frame, "f_code");
    PyObject *name = code ? lg_py.GetAttrString(code, "co_name") : NULL;
    PyObject *globals = lg_py.GetAttrString(frame, "f_globals");
    PyObject *module = globals ? lg_py.DictGetItemString(globals, "__name__") : NULL;
    const char *m = module ? lg_py.UnicodeAsUTF8(module) : NULL;
    const char *n = name ? lg_py.UnicodeAsUTF8(name) : NULL;
    snprintf(out, size, "%s.%s", m ? m : "?", n ? n : "?");
    lg_py_xdecref(code);
    lg_py_xdecref(name);
    lg_py_xdecref(globals);
    lg_py.Clear();
}

bool lg_safepoint_protected_frame(PyObject *frame)
{
    return mine.depth > 0 || marked(frame) || lexically_protected_frame(frame);
}

/* Only the forking thread is in the child: the others' slots are free. */
static void slots_in_child(void)
{
    for (int i = 0; i < N_SLOTS; i++)
        if (&slots[i] != mine.slot)
            atomic_store(&slots[i].ident, 0);
    lg_safepoint_defer_in_child();
}

/* ---- the package's private entry points (guard-package.h) ---------------- */

void libguard_package_deferred_enter(void)
{
    if (__builtin_expect(!mine.tried, 0)) {
        mine.tried = true;
        claim_slot();
    }
    ++mine.depth;
    /* relaxed: a helper reads it holding the GIL, which orders them */
    if (mine.slot)
        atomic_store_explicit(&mine.slot->depth, mine.depth, memory_order_relaxed);
}

int lg_safepoint_depth_leave(void)
{
    if (mine.depth > 0)
        --mine.depth;
    if (mine.slot)
        atomic_store_explicit(&mine.slot->depth, mine.depth, memory_order_relaxed);
    return mine.depth;
}

int libguard_package_protect(void *code)
{
    if (!lg_safepoint_prepare())
        return 0; /* nothing to protect against: the old behaviour */
    if (!marks && !(marks = lg_py.SetNew(NULL)))
        return -1;
    return lg_py.SetAdd(marks, code);
}
