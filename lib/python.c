/* The CPython exception route (doc/design.md, "The CPython route", says
 * what each CPython version offers and why this is the way).
 *
 * - The preload constructor finds CPython's C API with dlsym (a shared
 *   libpython, or a python executable with the interpreter linked in) and
 *   registers a built-in `sitecustomize` module (PyImport_AppendInittab,
 *   allowed before the interpreter starts).  `site` imports it on the main
 *   thread at its end; it runs the program's own sitecustomize, if any, in
 *   its place and then adds an audit hook (PEP 578, 3.8+).  Added any
 *   earlier, the hook would make CPython build the arguments of every
 *   start-up event (marshal.loads copies each .pyc for it): +1.3 % of
 *   `python3 -c pass`.  Under `python -S` the hook is added before start-up.
 * - The "cpython.run_*" audit event comes on the main thread, holding the
 *   GIL, just before the program's own code.  There we install a
 *   Python-level handler for LIBGUARD_PYTHON_SIGNAL (SIGURG) and register
 *   an atexit callback that tells us the interpreter is about to finalise;
 *   the exception classes are made at the first delivery (class_for).
 * - raise() runs on the watchdog: it records which exception is due and
 *   sends the signal to the main thread with tgkill.  CPython's C handler
 *   sets the eval breaker and makes blocking calls fail with EINTR, so our
 *   handler runs within milliseconds in busy loops and blocking calls alike,
 *   on every version (a pending call could not: gh-95820, PEP 475 retries).
 * - A program that handles that signal itself keeps it, and one whose main
 *   thread blocks it is not sent it: we fall back to a pending call, and on
 *   3.9-3.12 nudge the main thread into running it by asking for the GIL
 *   from a disposable helper thread.  Slower: a blocked call returns first.
 *
 * The watchdog never waits for the GIL or for the program; the one thread
 * that does (the nudge) owns nothing of ours and may be ended or parked by
 * the interpreter at shutdown. */
#include "config.h"
#include "python.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ladder.h"
#include "log.h"
#include "options.h"
#include "registry.h"
#include "sigblocked.h"
#include "watchdog.h"

/* ---- the few pieces of the C API we use, found at run time -------------- */

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

static struct {
    int (*IsInitialized)(void);
    int (*IsFinalizing)(void);
    const char *(*GetVersion)(void);
    int (*AddAuditHook)(int (*)(const char *, PyObject *, void *), void *);
    int (*AppendInittab)(const char *, PyObject *(*)(void));
    PyObject *(*ModuleCreate2)(void *, int);
    int (*AddPendingCall)(int (*)(void *), void *);
    int (*GILStateEnsure)(void);
    void (*GILStateRelease)(int);
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
    void (*IncRef)(PyObject *);
    void (*DecRef)(PyObject *);
    long (*AsLong)(PyObject *);
    PyObject *(*TupleGetItem)(PyObject *, ssize_t);
    ssize_t (*TupleSize)(PyObject *);
    PyObject *(*GetModuleDict)(void);
    PyObject *(*DictGetItemString)(PyObject *, const char *);
    int (*IsSubclass)(PyObject *, PyObject *);
    void *(*GetFrame)(void);
    PyObject **BaseException; /* &PyExc_BaseException */
    PyObject *None;           /* &_Py_NoneStruct */
} py;

static bool resolve(void)
{
#define FIND(field, name) (*(void **)&py.field = dlsym(RTLD_DEFAULT, name))
    bool ok = FIND(IsInitialized, "Py_IsInitialized") && FIND(GetVersion, "Py_GetVersion")
        && FIND(AddAuditHook, "PySys_AddAuditHook") /* 3.8+ */
        && FIND(AppendInittab, "PyImport_AppendInittab")
        && FIND(ModuleCreate2, "PyModule_Create2")
        && FIND(AddPendingCall, "Py_AddPendingCall")
        && FIND(GILStateEnsure, "PyGILState_Ensure")
        && FIND(GILStateRelease, "PyGILState_Release")
        && FIND(ImportModule, "PyImport_ImportModule")
        && FIND(GetAttrString, "PyObject_GetAttrString")
        && FIND(SetAttrString, "PyObject_SetAttrString")
        && FIND(CallFunction, "PyObject_CallFunction")
        && FIND(Call, "PyObject_Call")
        && FIND(CFunctionNewEx, "PyCFunction_NewEx")
        && FIND(NewException, "PyErr_NewExceptionWithDoc")
        && FIND(SetString, "PyErr_SetString") && FIND(Clear, "PyErr_Clear")
        && FIND(Occurred, "PyErr_Occurred")
        && FIND(IncRef, "Py_IncRef") && FIND(DecRef, "Py_DecRef")
        && FIND(AsLong, "PyLong_AsLong")
        && FIND(TupleGetItem, "PyTuple_GetItem") && FIND(TupleSize, "PyTuple_Size")
        && FIND(GetModuleDict, "PyImport_GetModuleDict")
        && FIND(DictGetItemString, "PyDict_GetItemString")
        && FIND(IsSubclass, "PyObject_IsSubclass")
        && FIND(GetFrame, "PyEval_GetFrame")
        && FIND(BaseException, "PyExc_BaseException")
        && FIND(None, "_Py_NoneStruct");
    /* Public from 3.13; the private name before (and still exported). */
    if (ok && !FIND(IsFinalizing, "Py_IsFinalizing"))
        FIND(IsFinalizing, "_Py_IsFinalizing");
#undef FIND
    return ok;
}

/* ---- state ------------------------------------------------------------- */

enum mode {
    MODE_STARTING, /* interpreter not yet running the program: defer */
    MODE_SIGNAL,   /* our handler for python_signal is installed */
    MODE_PENDING,  /* the program handles that signal: pending calls */
    MODE_OFF,      /* could not set up: the ladder uses signals */
};

static int python_signal = SIGURG;
static int minor_version;            /* 3.x */
static bool interpreter_main;        /* the executable is a python interpreter */
static _Atomic int mode = MODE_STARTING;
static _Atomic bool install_tried;
static _Atomic bool displaced;       /* the program replaced our handler */
static void (*python_c_handler)(int);/* CPython's C-level handler, once ours */

/* Set when the interpreter begins to finalise (our atexit callback, which
 * runs after the program's own: atexit is last in, first out). */
static _Atomic bool finalising;
/* Calls into the C API from the watchdog in progress: the atexit callback
 * waits for them, so none starts after finalisation has begun (3.8 crashes
 * in Py_AddPendingCall then: bpo-37127). */
static _Atomic int inflight;

/* The exception due: `armed` is 0 or the generation of one of four slots;
 * whoever exchanges it for 0 delivers it (one interrupt per step). */
struct due {
    struct lg_guard *guard;
    int kind;
    char message[200];
};
static struct due dues[4];
static _Atomic uint32_t armed;
static uint32_t generation; /* the watchdog's */

/* Python objects, made on the main thread and kept for good. */
static PyObject *base_class, *timeout_class, *memory_class;
static PyObject *handler_obj, *original_signal;
static bool tried_package;

static bool finishing(void)
{
    return atomic_load(&finalising) || atomic_load(&lg_exiting)
        || (py.IsFinalizing && py.IsFinalizing());
}

/* faulthandler's own dumper: reads the frames of every thread without the
 * GIL or any lock, as faulthandler.dump_traceback_later does from its
 * watchdog thread.  Exported by 3.8, 3.11, 3.12 and Debian's 3.11; a local
 * symbol in 3.9, 3.10, 3.13 (same signature in all), found in the symbol
 * table of unstripped builds (pyenv's). */
static struct {
    void *(*InterpreterMain)(void);
    void *(*ThreadHead)(void *);
    void *(*ThreadNext)(void *);
    void *(*ThisThreadState)(void);
    const char *(*DumpThreads)(int fd, void *interp, void *current);
} dumper;
static void *_Atomic main_tstate; /* the main thread's, seen in install() */
static char symtab_path[LG_PATH_MAX]; /* where to look when not exported */
static uintptr_t symtab_base;
static dev_t symtab_dev;             /* the file loaded, not one put there since */
static ino_t symtab_ino;
static bool python_found;            /* the C API is here, supported or not */

/* ---- delivering, on the main thread with the GIL ----------------------- */

static bool make_classes(void)
{
    base_class = py.NewException("libguard.ResiliparseGuardException",
                                 "libguard guard base exception.", *py.BaseException, NULL);
    if (!base_class)
        return false;
    timeout_class = py.NewException("libguard.ExecutionTimeout",
                                    "Execution timeout exception.", base_class, NULL);
    memory_class = py.NewException("libguard.MemoryLimitExceeded",
                                   "Memory limit exceeded exception.", base_class, NULL);
    return timeout_class && memory_class;
}

/* The class to raise: the `libguard` package's when it is (or can be)
 * imported, so `except libguard.ExecutionTimeout` catches it; else ours,
 * made at the first delivery (three classes cost 0.5 % of a bare start-up).
 * NULL, with the error set, if they cannot be made. */
static PyObject *class_for(int kind)
{
    const char *name = kind == LG_KIND_TIME ? "ExecutionTimeout" : "MemoryLimitExceeded";
    PyObject *module = py.DictGetItemString(py.GetModuleDict(), "libguard");
    if (module) {
        py.IncRef(module);
    } else if (!tried_package) {
        tried_package = true;
        module = py.ImportModule("libguard");
        if (!module)
            py.Clear();
    }
    if (module) {
        PyObject *cls = py.GetAttrString(module, name);
        py.DecRef(module);
        if (cls && py.IsSubclass(cls, *py.BaseException) == 1)
            return cls;
        py.Clear();
        if (cls)
            py.DecRef(cls);
    }
    if (!(timeout_class && memory_class) && !make_classes())
        return NULL;
    PyObject *ours = kind == LG_KIND_TIME ? timeout_class : memory_class;
    py.IncRef(ours);
    return ours;
}

/* Raise the exception due, if any: -1 with it set, else 0. */
static int deliver(void)
{
    if (finishing())
        return 0;
    /* No Python code running: finalisation runs the last pending calls
     * (_Py_FinishPendingCalls, before atexit) and turns an exception there
     * into a SystemError.  Nothing could catch it anyway. */
    if (!py.GetFrame())
        return 0;
    uint32_t gen = atomic_exchange(&armed, 0);
    if (!gen)
        return 0; /* withdrawn, or already delivered */
    const struct due *due = &dues[gen & 3];
    char message[sizeof due->message];
    memcpy(message, due->message, sizeof message);
    PyObject *cls = class_for(due->kind);
    if (!cls)
        return -1; /* the reason it could not be made (MemoryError) is raised */
    py.SetString(cls, message);
    py.DecRef(cls);
    return -1;
}

static PyObject *none(void)
{
    py.IncRef(py.None);
    return py.None;
}

static PyObject *on_signal(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    return deliver() < 0 ? NULL : none();
}

static int on_pending_call(void *arg)
{
    (void)arg;
    return deliver();
}

static void begin_finalising(void)
{
    atomic_store(&finalising, true);
    while (atomic_load(&inflight))
        sched_yield(); /* the watchdog never blocks: this is a few µs */
}

static PyObject *on_atexit(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    begin_finalising();
    return none();
}

/* 3.8 refuses pending calls from the start of Py_FinalizeEx, before atexit
 * callbacks, and then prints the error on the tstate of whichever thread
 * holds the GIL (a crash when called from outside).  Its finalisation begins
 * with threading._shutdown: wrap it to know.  Main thread, GIL held. */
static _Atomic bool shutdown_wrapped;
static PyObject *original_shutdown;

static PyObject *on_threading_shutdown(PyObject *self, PyObject *args)
{
    (void)self;
    begin_finalising();
    return py.Call(original_shutdown, args, NULL);
}

static struct py_method_def shutdown_def = {
    "_shutdown", on_threading_shutdown, PY_METH_VARARGS,
    "threading._shutdown, wrapped by libguard to know that Python is exiting.",
};

static void wrap_threading_shutdown(void)
{
    if (minor_version != 8 || shutdown_wrapped)
        return;
    PyObject *threading = py.ImportModule("threading"), *wrapper = NULL;
    if (threading && (original_shutdown = py.GetAttrString(threading, "_shutdown"))
        && (wrapper = py.CFunctionNewEx(&shutdown_def, NULL, NULL))
        && py.SetAttrString(threading, "_shutdown", wrapper) == 0)
        shutdown_wrapped = true;
    py.Clear();
    if (wrapper)
        py.DecRef(wrapper);
    if (threading)
        py.DecRef(threading);
}

static void note_displaced(bool now)
{
    static _Atomic bool said;
    if (atomic_exchange(&displaced, now) != now && now && !atomic_exchange(&said, true)) {
        char name[32];
        lg_log("the program handles %s itself: ExecutionTimeout and MemoryLimitExceeded "
               "come through slower routes (not inside blocking calls such as time.sleep; "
               "LIBGUARD_PYTHON_SIGNAL names another signal)",
               lg_signal_name(python_signal, name, sizeof name));
    }
}

/* _signal.signal, wrapped: a program that takes our signal over gets it
 * (signal.signal calls _signal.signal at each call, so this sees it). */
static PyObject *on_set_signal(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    PyObject *result = py.Call(original_signal, args, kwargs);
    if (result && args && py.TupleSize(args) >= 2) {
        long signo = py.AsLong(py.TupleGetItem(args, 0));
        if (signo == -1 && py.Occurred())
            py.Clear();
        else if (signo == python_signal) {
            /* The libguard package registers its handler route (which then
             * serves every guard) before taking the signal: not theirs. */
            bool theirs = py.TupleGetItem(args, 1) != handler_obj
                && !atomic_load(&lg_handler_route);
            if (theirs)
                wrap_threading_shutdown();
            note_displaced(theirs);
        }
    }
    return result;
}

/* 3.8: a main thread that blocks the signal gets the pending call, which
 * needs threading._shutdown wrapped: wrap it once the program changes its
 * mask (signal.pthread_sigmask calls _signal.pthread_sigmask each time). */
static PyObject *original_sigmask;

static PyObject *on_set_sigmask(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *result = py.Call(original_sigmask, args, NULL);
    if (result)
        wrap_threading_shutdown();
    return result;
}

static struct py_method_def handler_def = {
    "libguard_interrupt", on_signal, PY_METH_VARARGS,
    "libguard: raises ExecutionTimeout or MemoryLimitExceeded when a guard fires.",
};
static struct py_method_def atexit_def = {
    "libguard_atexit", on_atexit, PY_METH_VARARGS, "libguard: the interpreter is exiting.",
};
static struct py_method_def signal_def = {
    "signal", (py_cfunction)(void (*)(void))on_set_signal, PY_METH_VARARGS | PY_METH_KEYWORDS,
    "signal(signalnum, handler): see the signal module (wrapped by libguard).",
};
static struct py_method_def sigmask_def = {
    "pthread_sigmask", on_set_sigmask, PY_METH_VARARGS,
    "pthread_sigmask(how, mask): see the signal module (wrapped by libguard).",
};

/* ---- installing, in the "cpython.run_*" audit event -------------------- */

static void install(void)
{
    if (dumper.ThisThreadState)
        atomic_store(&main_tstate, dumper.ThisThreadState()); /* for the stack dumps */
    PyObject *sig = NULL, *getsignal = NULL, *current = NULL, *result = NULL;
    PyObject *atexit_module = NULL, *register_fn = NULL, *wrapper = NULL, *cb = NULL;

    /* Who handles the signal now?  CPython's handler table starts from the C
     * disposition: SIG_DFL/SIG_IGN are ints 0/1, anything else is not ours. */
    bool ours = false;
    struct sigaction sa;
    sig = py.ImportModule("_signal");
    if (sig && (getsignal = py.GetAttrString(sig, "getsignal"))
        && (current = py.CallFunction(getsignal, "i", python_signal))
        && sigaction(python_signal, NULL, &sa) == 0) {
        long v = py.AsLong(current);
        bool free_in_python = v == 0 || v == 1;
        bool free_in_c = !(sa.sa_flags & SA_SIGINFO)
            && (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN);
        py.Clear();
        if (free_in_python && free_in_c
            && (handler_obj = py.CFunctionNewEx(&handler_def, NULL, NULL))
            && (original_signal = py.GetAttrString(sig, "signal"))
            && (result = py.CallFunction(original_signal, "iO", python_signal, handler_obj))
            && sigaction(python_signal, NULL, &sa) == 0) {
            python_c_handler = sa.sa_handler;
            ours = true;
        }
    }
    py.Clear();
    if (result)
        py.DecRef(result);
    if (current)
        py.DecRef(current);
    if (getsignal)
        py.DecRef(getsignal);

    /* Hear of the program taking the signal over later. */
    if (ours && (wrapper = py.CFunctionNewEx(&signal_def, NULL, NULL))) {
        if (py.SetAttrString(sig, "signal", wrapper) != 0)
            py.Clear();
        py.DecRef(wrapper);
    }
    py.Clear();
    if (ours && minor_version == 8
        && (original_sigmask = py.GetAttrString(sig, "pthread_sigmask"))
        && (wrapper = py.CFunctionNewEx(&sigmask_def, NULL, NULL))) {
        if (py.SetAttrString(sig, "pthread_sigmask", wrapper) != 0)
            py.Clear();
        py.DecRef(wrapper);
    }
    py.Clear();
    if (sig)
        py.DecRef(sig);

    /* Know when finalisation begins: after this no C API call from outside. */
    if ((atexit_module = py.ImportModule("atexit"))
        && (register_fn = py.GetAttrString(atexit_module, "register"))
        && (cb = py.CFunctionNewEx(&atexit_def, NULL, NULL))
        && (result = py.CallFunction(register_fn, "O", cb))) {
        py.DecRef(result);
        py.DecRef(cb); /* atexit holds it */
    } else {
        /* Without it a step during finalisation could crash 3.8: stay off. */
        py.Clear();
        atomic_store(&mode, MODE_OFF);
        lg_log("could not register an atexit callback: interrupting with signals");
        return;
    }
    if (register_fn)
        py.DecRef(register_fn);
    if (atexit_module)
        py.DecRef(atexit_module);

    atomic_store(&mode, ours ? MODE_SIGNAL : MODE_PENDING);
    if (!ours) {
        wrap_threading_shutdown();
        note_displaced(true);
    }
    /* A step that came while Python was starting: deliver it now. */
    if (atomic_load(&armed)) {
        if (ours)
            syscall(SYS_tgkill, getpid(), getpid(), python_signal);
        else
            py.AddPendingCall(on_pending_call, NULL); /* from the main thread: prompt */
    }
}

static int audit_hook(const char *event, PyObject *args, void *data)
{
    (void)args;
    (void)data;
    if (strncmp(event, "cpython.", 8) != 0)
        return 0;
    if (strncmp(event + 8, "run_", 4) == 0) {
        if ((pid_t)syscall(SYS_gettid) == getpid() && !atomic_exchange(&install_tried, true))
            install();
    } else if (strcmp(event + 8, "_PySys_ClearAuditHooks") == 0) {
        begin_finalising(); /* in case atexit was bypassed */
    }
    return 0;
}

static _Atomic bool hook_added;

static void add_audit_hook(void)
{
    if (!atomic_exchange(&hook_added, true) && py.AddAuditHook(audit_hook, NULL) != 0)
        py.Clear(); /* a hook of the program's refused it: the signal ladder */
}

/* ---- the built-in sitecustomize: the end of `site` ---------------------- */

/* PyModuleDef, whose layout the stable ABI fixes (a default build's
 * PyObject_HEAD: reference count, type). */
struct py_module_def {
    struct {
        ssize_t refcnt;
        void *type;
        PyObject *(*init)(void);
        ssize_t index;
        PyObject *copy;
    } base;
    const char *name, *doc;
    ssize_t size;
    void *methods, *slots, *traverse, *clear, *free;
};
#define PY_API_VERSION 1013 /* PYTHON_API_VERSION, 3.x */

static struct py_module_def sitecustomize_def = {
    .base = { .refcnt = 1 << 30 }, /* static: never freed */
    .name = "sitecustomize",
    .doc = "libguard's: runs the program's own sitecustomize, then lets libguard "
           "learn when the program starts.",
    .size = -1,
};

/* Run the sitecustomize that site would have imported (found on sys.path
 * by the PathFinder that is already loaded) in our module.  0, or -1 with
 * its exception set, which site reports as it would have. */
static int run_own_sitecustomize(PyObject *module)
{
    PyObject *o[6] = { NULL }; /* importlib, PathFinder, find_spec, spec, loader, exec_module */
    int status = -1;
    if ((o[0] = py.ImportModule("_frozen_importlib_external"))
        && (o[1] = py.GetAttrString(o[0], "PathFinder"))
        && (o[2] = py.GetAttrString(o[1], "find_spec"))
        && (o[3] = py.CallFunction(o[2], "s", "sitecustomize"))) {
        if (o[3] == py.None) {
            status = 0; /* the program has none */
        } else if ((o[4] = py.GetAttrString(o[3], "loader"))
                   && py.SetAttrString(module, "__spec__", o[3]) == 0
                   && py.SetAttrString(module, "__loader__", o[4]) == 0
                   && (o[5] = py.GetAttrString(o[4], "exec_module"))) {
            PyObject *origin = py.GetAttrString(o[3], "origin");
            if (origin && origin != py.None && py.SetAttrString(module, "__file__", origin) != 0)
                py.Clear();
            if (origin)
                py.DecRef(origin);
            py.Clear();
            PyObject *done = py.CallFunction(o[5], "O", module);
            if (done) {
                py.DecRef(done);
                status = 0;
            }
        }
    }
    for (int i = 0; i < 6; i++)
        if (o[i])
            py.DecRef(o[i]);
    return status;
}

static PyObject *init_sitecustomize(void)
{
    add_audit_hook(); /* first: even a failing sitecustomize leaves us the hook */
    PyObject *module = py.ModuleCreate2(&sitecustomize_def, PY_API_VERSION);
    if (module && run_own_sitecustomize(module) < 0) {
        py.DecRef(module);
        return NULL;
    }
    return module;
}

/* `python -S` imports no site: is it in our command line? */
static bool runs_without_site(void)
{
    char args[4096];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, args, sizeof args - 1);
    close(fd);
    if (n <= 0)
        return false;
    args[n] = '\0';
    const char *end = args + n;
    const char *a = args + strlen(args) + 1; /* after argv[0] */
    for (; a < end; a += strlen(a) + 1) {
        if (a[0] != '-' || !strcmp(a, "-") || !strcmp(a, "--"))
            return false; /* the script or stdin: options end */
        if (a[1] == '-') { /* --help, --version, --check-hash-based-pycs MODE */
            if (!strcmp(a, "--check-hash-based-pycs"))
                a += strlen(a) + 1;
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            if (*c == 'S')
                return true;
            if (*c == 'c' || *c == 'm')
                return false; /* the rest is the program's */
            if (*c == 'W' || *c == 'X') {
                if (!c[1] && a + strlen(a) + 1 < end)
                    a += strlen(a) + 1; /* the value is the next argument */
                break;
            }
        }
    }
    return false;
}

/* ---- the route, on the watchdog thread ---------------------------------- */

static bool still_ours(void)
{
    if (atomic_load(&mode) != MODE_SIGNAL || atomic_load(&displaced))
        return false;
    struct sigaction sa;
    if (sigaction(python_signal, NULL, &sa) != 0 || sa.sa_handler != python_c_handler) {
        note_displaced(true); /* replaced in C, behind Python's back */
        return false;
    }
    return true;
}

/* A main thread that blocks the signal would get it only once it unblocks
 * it: the pending call then, for this step (said once). */
static bool blocked_in(pid_t tid)
{
    static _Atomic bool said;
    if (!lg_signal_blocked(tid, python_signal))
        return false;
    if (!atomic_exchange(&said, true)) {
        char name[32];
        lg_log("the main thread blocks %s: ExecutionTimeout and MemoryLimitExceeded come "
               "through a slower route while it does (not inside blocking calls such as "
               "time.sleep)", lg_signal_name(python_signal, name, sizeof name));
    }
    return true;
}

/* 3.9-3.12 do not set the main thread's eval breaker for a pending call
 * added by another thread (gh-95820); asking for the GIL does. */
static void *nudge(void *arg)
{
    (void)arg;
    if (finishing())
        return NULL;
    int state = py.GILStateEnsure(); /* may end or park this thread at exit */
    py.GILStateRelease(state);
    return NULL;
}

static bool queue_pending_call(void)
{
    if (minor_version == 8 && !shutdown_wrapped)
        return false; /* could not make it safe (see wrap_threading_shutdown) */
    atomic_fetch_add(&inflight, 1);
    bool queued = !finishing() && py.AddPendingCall(on_pending_call, NULL) == 0;
    atomic_fetch_sub(&inflight, 1);
    if (queued && minor_version >= 9 && minor_version <= 12) {
        pthread_attr_t attr;
        pthread_t thread;
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old); /* the helper takes no signal */
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attr, nudge, NULL) != 0)
            lg_log("could not start a thread to wake the interpreter: the exception waits "
                   "for the program's next blocking call or thread switch");
        pthread_attr_destroy(&attr);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    return queued;
}

static bool route_available(const struct lg_desc *d)
{
    if ((pid_t)d->tid != getpid()) /* Python runs signal handlers there only */
        return false;
    int m = atomic_load(&mode);
    if (m == MODE_OFF)
        return false;
    /* The python executable: a step while it starts (even before
     * Py_IsInitialized) waits for install(); a program embedding Python
     * never gets there (no cpython.run_* event) and gets the signals. */
    return m != MODE_STARTING || interpreter_main;
}

static bool route_raise(struct lg_guard *g, const struct lg_desc *d, int step,
                        const char *message)
{
    (void)step;
    if (finishing()) {
        lg_log("the Python interpreter is shutting down: no exception raised");
        return false;
    }
    uint32_t gen = ++generation;
    if (!gen)
        gen = ++generation;
    struct due *due = &dues[gen & 3];
    due->guard = g;
    due->kind = (int)d->kind;
    snprintf(due->message, sizeof due->message, "%s", message);
    atomic_store(&armed, gen); /* supersedes an undelivered one */

    switch (atomic_load(&mode)) {
    case MODE_STARTING:
        lg_log("Python is still starting up: the exception is raised once it has");
        return true; /* install() delivers it */
    case MODE_SIGNAL:
        if (still_ours() && !blocked_in((pid_t)d->tid))
            return syscall(SYS_tgkill, getpid(), (pid_t)d->tid, python_signal) == 0;
        /* fall through */
    default:
        if (queue_pending_call())
            return true;
        atomic_compare_exchange_strong(&armed, &gen, 0);
        return false;
    }
}

static void route_withdraw(struct lg_guard *g, const struct lg_desc *d)
{
    (void)d;
    uint32_t gen = atomic_load(&armed);
    if (gen && dues[gen & 3].guard == g)
        atomic_compare_exchange_strong(&armed, &gen, 0);
}

static const struct lg_route python_route = {
    .available = route_available,
    .raise = route_raise,
    .withdraw = route_withdraw,
};

/* ---- the Python stacks, for the log at a guard's first step (stack.c) --- */

static pthread_once_t dumper_once = PTHREAD_ONCE_INIT;

/* `name`, a function of the object that defines Py_IsInitialized, from its
 * .symtab (not the dynamic table): NULL when stripped. */
static void *local_function(const char *path, uintptr_t base, const char *name)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *found = NULL;
    const unsigned char *image = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_dev == symtab_dev && st.st_ino == symtab_ino
        && (size_t)st.st_size >= sizeof(ElfW(Ehdr)))
        image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (image == MAP_FAILED)
        return NULL;
    size_t size = (size_t)st.st_size, want = strlen(name) + 1;
    const ElfW(Ehdr) *eh = (const void *)image;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shentsize != sizeof(ElfW(Shdr))
        || eh->e_shoff > size || eh->e_shnum > (size - eh->e_shoff) / sizeof(ElfW(Shdr)))
        goto out;
    const ElfW(Shdr) *sh = (const void *)(image + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum && !found; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const ElfW(Shdr) *strs = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset
            || strs->sh_offset > size || strs->sh_size > size - strs->sh_offset)
            continue;
        const ElfW(Sym) *sym = (const void *)(image + sh[i].sh_offset);
        const char *str = (const char *)image + strs->sh_offset;
        for (size_t j = 0; j < sh[i].sh_size / sizeof *sym; j++)
            if (ELF64_ST_TYPE(sym[j].st_info) == STT_FUNC && sym[j].st_value
                && sym[j].st_name < strs->sh_size && strs->sh_size - sym[j].st_name >= want
                && memcmp(str + sym[j].st_name, name, want) == 0) {
                found = (void *)(base + sym[j].st_value);
                break;
            }
    }
out:
    munmap((void *)image, size);
    return found;
}

/* Read the symbol table when first needed, not at start-up: it is large. */
static void find_dumper(void)
{
    if (!dumper.DumpThreads && symtab_path[0])
        *(void **)&dumper.DumpThreads
            = local_function(symtab_path, symtab_base, "_Py_DumpTracebackThreads");
}

/* At start-up, because dlsym and dladdr take the loader's lock, which a
 * stuck program may hold (a hanging constructor in dlopen). */
static void setup_dumper(void)
{
    /* Public since 3.x (InterpreterState_Main since 3.7): stacks need all. */
    if (!(*(void **)&dumper.ThreadHead = dlsym(RTLD_DEFAULT, "PyInterpreterState_ThreadHead"))
        || !(*(void **)&dumper.ThreadNext = dlsym(RTLD_DEFAULT, "PyThreadState_Next"))
        || !(*(void **)&dumper.ThisThreadState = dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState"))
        || !(*(void **)&dumper.InterpreterMain = dlsym(RTLD_DEFAULT, "PyInterpreterState_Main"))) {
        dumper.ThisThreadState = NULL;
        dumper.InterpreterMain = NULL;
        return;
    }
    *(void **)&dumper.DumpThreads = dlsym(RTLD_DEFAULT, "_Py_DumpTracebackThreads");
    Dl_info info;
    struct link_map *map = NULL;
    if (!dumper.DumpThreads
        && dladdr1((void *)py.IsInitialized, &info, (void **)&map, RTLD_DL_LINKMAP) && map) {
        snprintf(symtab_path, sizeof symtab_path, "%s",
                 map->l_name && map->l_name[0] ? map->l_name : "/proc/self/exe");
        symtab_base = map->l_addr;
        struct stat st;
        if (stat(symtab_path, &st) == 0) {
            symtab_dev = st.st_dev;
            symtab_ino = st.st_ino;
        } else {
            symtab_path[0] = '\0';
        }
    }
}

int lg_python_stacks(int fd, pid_t tid, char *why, size_t size)
{
    if (!dumper.InterpreterMain) {
        if (!python_found)
            return 0; /* not a Python program */
        snprintf(why, size, "libguard has no CPython support here (CPython 3.8+, with "
                 "libguard preloaded); faulthandler.dump_traceback_later() can print it");
        return -1;
    }
    if (fd < 0) {
        snprintf(why, size, "no memory file to write it to");
        return -1;
    }
    int m = atomic_load(&mode);
    if (m != MODE_SIGNAL && m != MODE_PENDING) {
        /* Before install() we do not know when finalisation begins. */
        snprintf(why, size, "%s", m == MODE_STARTING
                 ? "the interpreter has not started the program (or Python is embedded)"
                 : "the CPython support could not be set up");
        return -1;
    }
    pthread_once(&dumper_once, find_dumper);
    if (!dumper.DumpThreads) {
        snprintf(why, size, "this interpreter neither exports _Py_DumpTracebackThreads nor has "
                 "a symbol table; `py-spy dump --pid %d` shows it", (int)getpid());
        return -1;
    }
    atomic_fetch_add(&inflight, 1); /* begin_finalising() waits for us */
    if (finishing()) {
        atomic_fetch_sub(&inflight, 1);
        snprintf(why, size, "the interpreter is shutting down");
        return -1;
    }
    void *interp = dumper.InterpreterMain(), *current = NULL, *main = atomic_load(&main_tstate);
    /* Mark the target ("Current thread") if it is the main thread and its
     * state is still listed; other threads' states name no kernel tid. */
    if (interp && main && tid == getpid()) {
        int n = 0;
        for (void *t = dumper.ThreadHead(interp); t && n < 1000; t = dumper.ThreadNext(t), n++)
            if (t == main) {
                current = main;
                break;
            }
    }
    const char *err = interp ? dumper.DumpThreads(fd, interp, current) : "no interpreter";
    atomic_fetch_sub(&inflight, 1);
    if (err) {
        snprintf(why, size, "%s", err);
        return -1;
    }
    return current ? 1 : 2;
}

/* ---- set-up ------------------------------------------------------------ */

/* The watchdog that was mid-call is not in the child; nor is its step. */
static void in_child(void)
{
    atomic_store(&inflight, 0);
    atomic_store(&armed, 0);
    /* The forking thread is the child's main thread (a TSS read: safe). */
    if (dumper.ThisThreadState && atomic_load(&install_tried))
        atomic_store(&main_tstate, dumper.ThisThreadState());
}

static bool executable_is_python(void)
{
    char exe[LG_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    const char *base = strrchr(exe, '/');
    return strncmp(base ? base + 1 : exe, "python", 6) == 0;
}

void lg_python_setup(int signo)
{
    python_found = dlsym(RTLD_DEFAULT, "Py_IsInitialized") != NULL;
    if (!resolve())
        return; /* no CPython 3.8+ here */
    if (py.IsInitialized())
        return; /* loaded into a running interpreter: its package routes */
    const char *version = py.GetVersion();
    if (strncmp(version, "3.", 2) != 0)
        return;
    minor_version = atoi(version + 2);
    python_signal = signo;
    interpreter_main = executable_is_python();
    /* A program embedding Python, or `python -S`: the hook from the start. */
    if (!interpreter_main || runs_without_site()
        || py.AppendInittab("sitecustomize", init_sitecustomize) != 0) {
        if (py.AddAuditHook(audit_hook, NULL) != 0)
            return;
        hook_added = true;
    }
    pthread_atfork(NULL, NULL, in_child);
    setup_dumper();
    atomic_store(&lg_default_route, &python_route);
}
