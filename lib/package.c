/* The Python package's private entry points.  See guard-package.h. */
#include "config.h"
#include "package.h"
#include "guard-package.h"

#include <stdio.h>
#include <string.h>

#include "elfsym.h"
#include "log.h"
#include "py/helper.h"
#include "py/startup.h"

static char problems[4096];
static bool problems_warn;

/* Constructors of what is loaded at start run before the interpreter does:
 * an initialised interpreter means an extension module's import loads us. */
static bool python_running(void)
{
    int (*initialized)(void);
    *(void **)&initialized = lg_loaded_symbol("Py_IsInitialized");
    return initialized && initialized();
}

bool lg_package_keep_problems(const char *errors, bool warn)
{
    if (!python_running())
        return false;
    snprintf(problems, sizeof problems, "%s", errors);
    size_t n = strlen(problems);
    while (n && problems[n - 1] == '\n')
        problems[--n] = '\0';
    problems_warn = warn;
    return true;
}

const char *libguard_package_settings_problems(int *warn)
{
    *warn = problems_warn;
    return problems[0] ? problems : NULL;
}

int libguard_package_attach(struct libguard_package_attach *a)
{
    /* A Python library reports through Python's logging and warnings, not
     * raw lines on stderr: the core's lines are held unless asked for. */
    bool hold = !lg_preload_log_wanted();
    if (hold)
        lg_log_hold();
    int signo = lg_preload_python_signal();
    if (!lg_py_attach(signo, a->gil_interval_us, hold ? (PyObject *)a->report : NULL))
        return -1;
    PyObject *base, *timeout, *memory;
    lg_py_classes(&base, &timeout, &memory); /* made by lg_py_attach */
    a->base_class = base;
    a->timeout_class = timeout;
    a->memory_class = memory;
    a->python_signal = signo;
    return 0;
}

void libguard_package_guard_left(struct guard *g, int async_pending)
{
    lg_py_helper_guard_left(g, async_pending);
}
