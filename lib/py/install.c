/* Taking the Python signal, hearing of the program taking it back, and
 * knowing when the interpreter exits.  See install.h. */
#include "config.h"
#include "py/install.h"

#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "py/deliver.h"
#include "py/safepoint.h"
#include "py/stacks.h"
#include "sigblocked.h"
#include "signals.h"

int lg_py_signal;
_Atomic bool lg_py_install_tried;
static _Atomic bool displaced;        /* the program replaced our handler */
static void (*python_c_handler)(int); /* CPython's C-level handler, once ours */
static PyObject *handler_obj, *original_signal, *original_sigmask;

static PyObject *none(void)
{
    lg_py.IncRef(lg_py.None);
    return lg_py.None;
}

static PyObject *on_signal(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    return lg_py_deliver_main() < 0 ? NULL : none();
}

static PyObject *on_atexit(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    lg_py_begin_finalising();
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
    lg_py_begin_finalising();
    return lg_py.Call(original_shutdown, args, NULL);
}

static struct py_method_def shutdown_def = {
    "_shutdown", on_threading_shutdown, PY_METH_VARARGS,
    "threading._shutdown, wrapped by libguard to know that Python is exiting.",
};

static void wrap_threading_shutdown(void)
{
    if (lg_py_minor != 8 || shutdown_wrapped)
        return;
    PyObject *threading = lg_py.ImportModule("threading"), *wrapper = NULL;
    if (threading && (original_shutdown = lg_py.GetAttrString(threading, "_shutdown"))
        && (wrapper = lg_py.CFunctionNewEx(&shutdown_def, NULL, NULL))
        && lg_py.SetAttrString(threading, "_shutdown", wrapper) == 0)
        shutdown_wrapped = true;
    lg_py.Clear();
    if (wrapper)
        lg_py.DecRef(wrapper);
    if (threading)
        lg_py.DecRef(threading);
}

bool lg_py_pending_calls_safe(void)
{
    return lg_py_minor != 8 || atomic_load(&shutdown_wrapped);
}

static void note_displaced(bool now)
{
    static _Atomic bool said;
    if (atomic_exchange(&displaced, now) != now && now && !atomic_exchange(&said, true)) {
        char name[32];
        lg_log("the program handles %s itself: ExecutionTimeout and MemoryLimitExceeded "
               "come through slower routes (not inside blocking calls such as time.sleep; "
               "LIBGUARD_PYTHON_SIGNAL names another signal)",
               lg_signal_name(lg_py_signal, name, sizeof name));
    }
}

/* _signal.signal, wrapped: a program that takes our signal over gets it
 * (signal.signal calls _signal.signal at each call, so this sees it). */
static PyObject *on_set_signal(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    PyObject *result = lg_py.Call(original_signal, args, kwargs);
    if (result && args && lg_py.TupleSize(args) >= 2) {
        long signo = lg_py.AsLong(lg_py.TupleGetItem(args, 0));
        if (signo == -1 && lg_py.Occurred())
            lg_py.Clear();
        else if (signo == lg_py_signal) {
            bool theirs = lg_py.TupleGetItem(args, 1) != handler_obj;
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
static PyObject *on_set_sigmask(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *result = lg_py.Call(original_sigmask, args, NULL);
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

/* Our handler for `signo`, if neither Python nor C code handles it: CPython's
 * handler table starts from the C disposition, SIG_DFL/SIG_IGN are ints 0/1,
 * anything else is not ours.  Then wrap _signal to hear of the program
 * taking it later.  `sig` is the _signal module. */
static bool take_signal(PyObject *sig, int signo)
{
    PyObject *getsignal = NULL, *current = NULL, *result = NULL, *wrapper = NULL;
    bool ours = false;
    struct sigaction sa;
    if ((getsignal = lg_py.GetAttrString(sig, "getsignal"))
        && (current = lg_py.CallFunction(getsignal, "i", signo))
        && sigaction(signo, NULL, &sa) == 0) {
        long v = lg_py.AsLong(current);
        bool free_in_python = v == 0 || v == 1;
        bool free_in_c = !(sa.sa_flags & SA_SIGINFO)
            && (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN);
        lg_py.Clear();
        if (free_in_python && free_in_c
            && (handler_obj = lg_py.CFunctionNewEx(&handler_def, NULL, NULL))
            && (original_signal = lg_py.GetAttrString(sig, "signal"))
            && (result = lg_py.CallFunction(original_signal, "iO", signo, handler_obj))
            && sigaction(signo, NULL, &sa) == 0) {
            python_c_handler = sa.sa_handler;
            lg_py_signal = signo;
            ours = true;
        }
    }
    lg_py.Clear();
    if (result)
        lg_py.DecRef(result);
    if (current)
        lg_py.DecRef(current);
    if (getsignal)
        lg_py.DecRef(getsignal);
    if (ours && (wrapper = lg_py.CFunctionNewEx(&signal_def, NULL, NULL))) {
        if (lg_py.SetAttrString(sig, "signal", wrapper) != 0)
            lg_py.Clear();
        lg_py.DecRef(wrapper);
    }
    lg_py.Clear();
    if (ours && lg_py_minor == 8
        && (original_sigmask = lg_py.GetAttrString(sig, "pthread_sigmask"))
        && (wrapper = lg_py.CFunctionNewEx(&sigmask_def, NULL, NULL))) {
        if (lg_py.SetAttrString(sig, "pthread_sigmask", wrapper) != 0)
            lg_py.Clear();
        lg_py.DecRef(wrapper);
    }
    lg_py.Clear();
    return ours;
}

/* Know when finalisation begins: after it no C API call from outside. */
static bool register_atexit(void)
{
    PyObject *atexit_module = NULL, *register_fn = NULL, *cb = NULL, *result = NULL;
    bool ok = (atexit_module = lg_py.ImportModule("atexit"))
        && (register_fn = lg_py.GetAttrString(atexit_module, "register"))
        && (cb = lg_py.CFunctionNewEx(&atexit_def, NULL, NULL))
        && (result = lg_py.CallFunction(register_fn, "O", cb));
    lg_py.Clear();
    if (result)
        lg_py.DecRef(result);
    if (cb)
        lg_py.DecRef(cb); /* atexit holds it */
    if (register_fn)
        lg_py.DecRef(register_fn);
    if (atexit_module)
        lg_py.DecRef(atexit_module);
    return ok;
}

void lg_py_install(int signo)
{
    if (atomic_exchange(&lg_py_install_tried, true))
        return;
    bool main_thread = (pid_t)syscall(SYS_gettid) == getpid();
    bool ours = false;
    if (signo && main_thread) {
        PyObject *sig = lg_py.ImportModule("_signal");
        if (sig) {
            ours = take_signal(sig, signo);
            lg_py.DecRef(sig);
        }
        lg_py.Clear();
    }
    if (!register_atexit()) {
        /* Without it a step during finalisation could crash 3.8: stay off. */
        atomic_store(&lg_py_mode, LG_PY_OFF);
        lg_log("could not register an atexit callback: interrupting with signals");
        return;
    }
    /* Now, not in the handler when the first exception is due. */
    lg_safepoint_prepare();
    atomic_store(&lg_py_mode, ours ? LG_PY_SIGNAL : LG_PY_PENDING);
    if (!ours) {
        wrap_threading_shutdown();
        if (signo && main_thread) {
            lg_py_signal = signo; /* named in the log line */
            note_displaced(true);
        }
    }
    lg_py_deliver_started(ours);
}

/* A main thread that blocks the signal would get it only once it unblocks
 * it: the pending call then, for this step (said once). */
static bool blocked_in(pid_t tid)
{
    static _Atomic bool said;
    if (!lg_signal_blocked(tid, lg_py_signal))
        return false;
    if (!atomic_exchange(&said, true)) {
        char name[32];
        lg_log("the main thread blocks %s: ExecutionTimeout and MemoryLimitExceeded come "
               "through a slower route while it does (not inside blocking calls such as "
               "time.sleep)", lg_signal_name(lg_py_signal, name, sizeof name));
    }
    return true;
}

bool lg_py_signal_usable(pid_t tid)
{
    if (atomic_load(&lg_py_mode) != LG_PY_SIGNAL || atomic_load(&displaced))
        return false;
    struct sigaction sa;
    if (sigaction(lg_py_signal, NULL, &sa) != 0 || sa.sa_handler != python_c_handler) {
        note_displaced(true); /* replaced in C, behind Python's back */
        return false;
    }
    return !blocked_in(tid);
}
