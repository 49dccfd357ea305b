/* The wait sites (doc/safe-delivery.md, section 3): the calls inside
 * threading's protected code where an exception is what the code is
 * written for (Condition.wait's `waiter.acquire()`, Thread.join's wait).
 * Found from the bytecode of the running interpreter, with the opcode
 * table (opcodes.h), in the `threading` the program imported: never
 * imported here (a program that has not imported it has no thread inside
 * its waits), so looked for again at each deferral until it is there. */
#include "config.h"
#include "py/waitsites.h"

#include <string.h>

#include "log.h"
#include "py/opcodes.h"

#define MAX_SITES 8

static struct {
    PyObject *code; /* kept for good */
    long lo, hi;    /* byte offsets, the load of the object to the call */
} sites[MAX_SITES];
static int n_sites;
static bool found;

/* The name an instruction loads (NULL: not a load we know).  Borrowed from
 * the code's name tuples, which the caller holds. */
static const char *loaded_name(int kind, long arg, PyObject *varnames, PyObject *names)
{
    PyObject *tuple = kind == LG_OP_LOAD_FAST ? varnames : names;
    if (kind == LG_OP_LOAD_NAME_HI)
        arg >>= 1;
    if ((kind != LG_OP_LOAD_FAST && kind != LG_OP_LOAD_NAME && kind != LG_OP_LOAD_NAME_HI)
        || !tuple || arg >= lg_py.TupleSize(tuple))
        return NULL;
    PyObject *s = lg_py.TupleGetItem(tuple, arg);
    return s ? lg_py.UnicodeAsUTF8(s) : NULL;
}

static bool is(const char *name, const char *want)
{
    return name && strcmp(name, want) == 0;
}

/* Each `obj.method(...)` in `code` (after an instruction naming `after`,
 * when given): from the load of `obj` to the call.  At most `max`. */
static int add_ranges(PyObject *code, const char *obj, const char *method, const char *after,
                      int max)
{
    unsigned char kinds[256];
    lg_opcode_kinds(lg_py_minor, kinds);
    PyObject *bytecode = lg_py.GetAttrString(code, "co_code");
    PyObject *varnames = lg_py.GetAttrString(code, "co_varnames");
    PyObject *names = lg_py.GetAttrString(code, "co_names");
    const unsigned char *b = bytecode ? (const unsigned char *)lg_py.BytesAsString(bytecode) : NULL;
    long n = b ? (long)lg_py.BytesSize(bytecode) / 2 : 0, ext = 0, candidate = -1, start = -1;
    bool armed = after == NULL;
    int added = 0;
    for (long i = 0; i < n && added < max && n_sites < MAX_SITES; i++) {
        int kind = kinds[b[2 * i]];
        long arg = b[2 * i + 1] | ext;
        if (kind == LG_OP_CACHE)
            continue;
        if (kind == LG_OP_EXTENDED_ARG) {
            ext = arg << 8;
            continue;
        }
        ext = 0;
        const char *name = loaded_name(kind, arg, varnames, names);
        if (after && is(name, after))
            armed = true;
        if (candidate >= 0 && is(name, method))
            start = candidate;
        candidate = armed && is(name, obj) ? 2 * i : -1;
        if (start >= 0 && kind == LG_OP_CALL) {
            lg_py.IncRef(code);
            sites[n_sites].code = code;
            sites[n_sites].lo = start;
            sites[n_sites].hi = 2 * i;
            n_sites++;
            added++;
            start = -1;
        }
    }
    lg_py_xdecref(bytecode);
    lg_py_xdecref(varnames);
    lg_py_xdecref(names);
    lg_py.Clear();
    return added;
}

/* getattr(getattr(obj, a), b).__code__ (a new reference, or NULL). */
static PyObject *code_of(PyObject *obj, const char *a, const char *b)
{
    PyObject *cls = lg_py.GetAttrString(obj, a);
    PyObject *fn = cls ? lg_py.GetAttrString(cls, b) : NULL;
    PyObject *code = fn ? lg_py.GetAttrString(fn, "__code__") : NULL;
    lg_py_xdecref(fn);
    lg_py_xdecref(cls);
    lg_py.Clear();
    return code;
}

/* sys.modules["threading"], borrowed (NULL: not imported). */
static PyObject *imported_threading(void)
{
    PyObject *sys = lg_py.ImportModule("sys"); /* always loaded: no import */
    PyObject *modules = sys ? lg_py.GetAttrString(sys, "modules") : NULL;
    PyObject *threading = modules ? lg_py.DictGetItemString(modules, "threading") : NULL;
    lg_py_xdecref(modules); /* sys holds it, and it holds threading */
    lg_py_xdecref(sys);
    lg_py.Clear();
    return threading;
}

void lg_wait_sites_find(void)
{
    if (found)
        return;
    PyObject *threading = imported_threading();
    if (!threading)
        return;
    PyObject *type, *value, *tb;
    lg_py.Fetch(&type, &value, &tb); /* we may run while one is being raised */
    lg_py.IncRef(threading);
    /* Both are defined once the module has run to its end: before that
     * (the program is importing it), look again at the next deferral. */
    PyObject *wait = code_of(threading, "Condition", "wait");
    bool tstate_lock = true;
    PyObject *join = code_of(threading, "Thread", "_wait_for_tstate_lock"); /* to 3.12 */
    if (!join) {
        tstate_lock = false;
        join = code_of(threading, "Thread", "join");
    }
    found = wait && join;
    int n = found ? add_ranges(wait, "waiter", "acquire", "_release_save", MAX_SITES - 1) : 0;
    if (n < 2) { /* not the Condition.wait we know: none of it */
        while (n_sites > 0)
            lg_py.DecRef(sites[--n_sites].code);
    }
    if (found)
        add_ranges(join, tstate_lock ? "lock" : "_handle", tstate_lock ? "acquire" : "join", NULL, 1);
    lg_py_xdecref(join);
    lg_py_xdecref(wait);
    lg_py.DecRef(threading);
    lg_py.Restore(type, value, tb);
    if (found && n_sites < 3)
        lg_log("not every wait site found in threading (Condition.wait, Thread.join): a thread "
               "blocked there gets ExecutionTimeout when its wait ends");
}

bool lg_wait_site_at(PyObject *code, long lasti)
{
    for (int i = 0; i < n_sites; i++)
        if (code == sites[i].code && lasti >= sites[i].lo && lasti <= sites[i].hi)
            return true;
    return false;
}
