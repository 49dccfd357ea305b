/* Start-up of the CPython route.  See startup.h.
 *
 * - The shim finds CPython's C API with dlsym and registers a built-in
 *   `sitecustomize` module (PyImport_AppendInittab, allowed before the
 *   interpreter starts).  `site` imports it on the main thread at its end;
 *   it runs the program's own sitecustomize, if any, in its place and then
 *   adds an audit hook (PEP 578, 3.8+).  Added any earlier, the hook would
 *   make CPython build the arguments of every start-up event (marshal.loads
 *   copies each .pyc for it): +1.3 % of `python3 -c pass`.  Under
 *   `python -S`, or in a program embedding Python, the hook is added before
 *   start-up.
 * - The "cpython.run_*" audit event comes on the main thread, holding the
 *   GIL, just before the program's own code: it counts as progress (the
 *   time guard measures the program, not a start-up shorter than its
 *   timeout), and there we install (install.h). */
#include "config.h"
#include "py/startup.h"
#include "python.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "elfsym.h"
#include "guard.h"
#include "ladder.h"
#include "options.h"
#include "py/deliver.h"
#include "py/helper.h"
#include "py/install.h"
#include "py/safepoint.h"
#include "py/stacks.h"

static int python_signal; /* the shim's LIBGUARD_PYTHON_SIGNAL */
static _Atomic bool hook_added;

static int audit_hook(const char *event, PyObject *args, void *data)
{
    (void)args;
    (void)data;
    if (strncmp(event, "cpython.", 8) != 0)
        return 0;
    if (strncmp(event + 8, "run_", 4) == 0) {
        if ((pid_t)syscall(SYS_gettid) == getpid()) {
            /* The interpreter's own start-up is not the program's work: its
             * first line is progress, unless the start-up outlasted the
             * timeout (the step it got is then delivered now, and the ladder
             * goes on from there). */
            if (!lg_py_main_has_due())
                guard_progress();
            lg_py_install(python_signal);
        }
    } else if (strcmp(event + 8, "_PySys_ClearAuditHooks") == 0) {
        lg_py_begin_finalising(); /* in case atexit was bypassed */
    }
    return 0;
}

static void add_audit_hook(void)
{
    if (!atomic_exchange(&hook_added, true) && lg_py.AddAuditHook(audit_hook, NULL) != 0)
        lg_py.Clear(); /* a hook of the program's refused it: the signal ladder */
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
    if ((o[0] = lg_py.ImportModule("_frozen_importlib_external"))
        && (o[1] = lg_py.GetAttrString(o[0], "PathFinder"))
        && (o[2] = lg_py.GetAttrString(o[1], "find_spec"))
        && (o[3] = lg_py.CallFunction(o[2], "s", "sitecustomize"))) {
        if (o[3] == lg_py.None) {
            status = 0; /* the program has none */
        } else if ((o[4] = lg_py.GetAttrString(o[3], "loader"))
                   && lg_py.SetAttrString(module, "__spec__", o[3]) == 0
                   && lg_py.SetAttrString(module, "__loader__", o[4]) == 0
                   && (o[5] = lg_py.GetAttrString(o[4], "exec_module"))) {
            PyObject *origin = lg_py.GetAttrString(o[3], "origin");
            if (origin && origin != lg_py.None
                && lg_py.SetAttrString(module, "__file__", origin) != 0)
                lg_py.Clear();
            if (origin)
                lg_py.DecRef(origin);
            lg_py.Clear();
            PyObject *done = lg_py.CallFunction(o[5], "O", module);
            if (done) {
                lg_py.DecRef(done);
                status = 0;
            }
        }
    }
    for (int i = 0; i < 6; i++)
        if (o[i])
            lg_py.DecRef(o[i]);
    return status;
}

static PyObject *init_sitecustomize(void)
{
    add_audit_hook(); /* first: even a failing sitecustomize leaves us the hook */
    PyObject *module = lg_py.ModuleCreate2(&sitecustomize_def, PY_API_VERSION);
    if (module && run_own_sitecustomize(module) < 0) {
        lg_py.DecRef(module);
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

/* ---- both ways in ---------------------------------------------------------- */

static void in_child(void)
{
    lg_py_deliver_in_child();
    lg_py_helper_in_child();
    lg_py_stacks_in_child();
}

/* The route in place, once: steps may come from now on. */
static void route_in_place(void)
{
    static _Atomic bool done;
    if (atomic_exchange(&done, true))
        return;
    pthread_atfork(NULL, NULL, in_child);
    lg_py_stacks_setup();
    atomic_store(&lg_default_route, &lg_py_route);
}

void lg_python_setup(int signo)
{
    /* Read from the loaded objects' symbol tables: most guarded programs are
     * not Python, and a dlsym that fails costs each of them thousands of
     * instructions and the memory of its error message. */
    lg_py_found = lg_loaded_symbol("Py_IsInitialized") != NULL;
    if (!lg_py_found || !lg_py_resolve())
        return; /* no CPython 3.8+ here */
    if (lg_py.IsInitialized())
        return; /* loaded into a running interpreter: the package's import attaches */
    python_signal = signo;
    lg_py_interpreter_main = executable_is_python();
    /* A program embedding Python, or `python -S`: the hook from the start. */
    if (!lg_py_interpreter_main || runs_without_site()
        || lg_py.AppendInittab("sitecustomize", init_sitecustomize) != 0) {
        if (lg_py.AddAuditHook(audit_hook, NULL) != 0)
            return;
        hook_added = true;
    }
    route_in_place();
}

bool lg_py_attach(int signo, unsigned long *interval_us, PyObject *report)
{
    lg_py_found = true;
    if (!lg_py_resolve())
        return false; /* cannot be: the package is built for 3.8+ */
    PyObject *base, *timeout, *memory;
    if (!lg_py_classes(&base, &timeout, &memory))
        return false;
    lg_py_helper_set_interval(interval_us);
    if (report)
        lg_py_set_reporter(report);
    route_in_place();
    /* The shim's hook installs on the main thread when the program starts;
     * an import before that, on another thread, leaves it to the hook. */
    bool main_thread = (pid_t)syscall(SYS_gettid) == getpid();
    if (main_thread || !atomic_load(&hook_added))
        lg_py_install(signo);
    lg_safepoint_prepare(); /* at import, not when a guard fires (done once) */
    return true;
}
