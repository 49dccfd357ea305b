/* The pieces of CPython's C API that libguard uses, found at run time with
 * dlsym (a shared libpython, or a python executable with the interpreter
 * linked in): libguard links no libpython.
 *
 * Owned here: the one table `lg_py`, filled by lg_py_resolve() (any
 * thread, before any call through it) and read-only after.  Every entry is
 * called only while the interpreter runs and, but for the ones marked,
 * only with the GIL held.  New entries go in the table and in resolve(). */
#ifndef LIBGUARD_PY_CAPI_H
#define LIBGUARD_PY_CAPI_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct py_object PyObject; /* opaque: we never look inside */
typedef PyObject *(*py_cfunction)(PyObject *, PyObject *);
struct py_method_def { /* PyMethodDef, unchanged since 2.x */
    const char *name;
    py_cfunction meth;
    int flags;
    const char *doc;
};
#define PY_METH_VARARGS 0x0001
#define PY_METH_KEYWORDS 0x0002

struct lg_capi {
    int (*IsInitialized)(void);          /* any thread, no GIL */
    int (*IsFinalizing)(void);           /* any thread, no GIL */
    const char *(*GetVersion)(void);     /* any thread, no GIL */
    int (*AddAuditHook)(int (*)(const char *, PyObject *, void *), void *);
    int (*AppendInittab)(const char *, PyObject *(*)(void)); /* before start-up */
    PyObject *(*ModuleCreate2)(void *, int);
    int (*AddPendingCall)(int (*)(void *), void *); /* any thread, no GIL */
    int (*GILStateEnsure)(void);         /* takes the GIL */
    void (*GILStateRelease)(int);
    int (*SetAsyncExc)(unsigned long, PyObject *);
    PyObject *(*ImportModule)(const char *);
    PyObject *(*GetAttrString)(PyObject *, const char *);
    int (*SetAttrString)(PyObject *, const char *, PyObject *);
    PyObject *(*CallFunction)(PyObject *, const char *, ...);
    PyObject *(*Call)(PyObject *, PyObject *, PyObject *);
    PyObject *(*CFunctionNewEx)(struct py_method_def *, PyObject *, PyObject *);
    PyObject *(*NewException)(const char *, const char *, PyObject *, PyObject *);
    void (*SetString)(PyObject *, const char *);
    void (*Clear)(void);
    PyObject *(*Occurred)(void);
    void (*Fetch)(PyObject **, PyObject **, PyObject **);
    void (*Restore)(PyObject *, PyObject *, PyObject *);
    void (*IncRef)(PyObject *);
    void (*DecRef)(PyObject *);
    long (*AsLong)(PyObject *);
    PyObject *(*TupleGetItem)(PyObject *, ssize_t);
    ssize_t (*TupleSize)(PyObject *);
    int (*IsSubclass)(PyObject *, PyObject *);
    void *(*GetFrame)(void);
    /* Before 3.12 (the GIL's switch interval; NULL when not exported). */
    unsigned long (*GetSwitchInterval)(void);
    void (*SetSwitchInterval)(unsigned long);
    /* Safe points (safepoint.c, defer.c). */
    void (*SetTrace)(int (*)(PyObject *, void *, int, PyObject *), PyObject *);
    void *(*ThreadStateGet)(void);
    void *(*ThreadStateSwap)(void *);
    void *(*InterpreterMain)(void);
    void *(*ThreadHead)(void *);
    void *(*ThreadNext)(void *);
    unsigned long (*GetThreadIdent)(void);
    PyObject *(*DictNew)(void);
    PyObject *(*DictGetItem)(PyObject *, PyObject *);
    PyObject *(*DictGetItemString)(PyObject *, const char *);
    int (*DictSetItem)(PyObject *, PyObject *, PyObject *);
    int (*DictSetItemString)(PyObject *, const char *, PyObject *);
    ssize_t (*DictSize)(PyObject *);
    void (*DictClear)(PyObject *);
    PyObject *(*GetBuiltins)(void);
    PyObject *(*RunString)(const char *, int, PyObject *, PyObject *, void *);
    char *(*BytesAsString)(PyObject *);
    ssize_t (*BytesSize)(PyObject *);
    PyObject *(*BytesFromStringAndSize)(const char *, ssize_t);
    const char *(*UnicodeAsUTF8)(PyObject *);
    PyObject *(*LongFromUnsignedLong)(unsigned long);
    PyObject *(*SetNew)(PyObject *);
    int (*SetAdd)(PyObject *, PyObject *);
    int (*SetContains)(PyObject *, PyObject *);
    ssize_t (*SetSize)(PyObject *);
    /* NULL where absent: 3.9+, 3.12+. */
    PyObject *(*ThreadStateGetFrame)(void *);
    void (*SetTraceAllThreads)(int (*)(PyObject *, void *, int, PyObject *), PyObject *);
    PyObject **BaseException; /* &PyExc_BaseException */
    PyObject *None;           /* &_Py_NoneStruct */
    PyObject *True, *False;   /* &_Py_TrueStruct, &_Py_FalseStruct */
};
extern struct lg_capi lg_py;

/* Py_XDECREF: `o` may be NULL.  GIL held. */
static inline void lg_py_xdecref(PyObject *o)
{
    if (o)
        lg_py.DecRef(o);
}

/* Fill lg_py; false when this process has no CPython 3.8+ C API.  Sets
 * lg_py_minor (3.x).  Idempotent. */
bool lg_py_resolve(void);
extern int lg_py_minor;

#endif
