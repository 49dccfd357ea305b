/* The Python package's private entry points.  See package.h. */
#include "config.h"
#include "package.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "sigblocked.h"

int libguard_package_signal_blocked(pid_t tid, int signo)
{
    return lg_signal_blocked(tid, signo);
}

static char problems[4096];
static bool problems_warn;

/* Constructors of what is loaded at start run before the interpreter does:
 * an initialised interpreter means an extension module's import loads us. */
static bool python_running(void)
{
    int (*initialized)(void);
    *(void **)&initialized = dlsym(RTLD_DEFAULT, "Py_IsInitialized");
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
