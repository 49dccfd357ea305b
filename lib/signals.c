/* Signals by name or number, as kill(1) reads them, and which of them
 * LIBGUARD_PYTHON_SIGNAL may name. */
#include "config.h"
#include "signals.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct { const char *name; int signo; } signal_names[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
    { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
    { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
    { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
    { "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
    { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
    { "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
#ifdef SIGSTKFLT
    { "STKFLT", SIGSTKFLT },
#endif
    /* aliases kill(1) accepts; lg_signal_name gives the names above */
    { "IOT", SIGABRT }, { "CLD", SIGCHLD }, { "POLL", SIGIO },
};
#define N_NAMES (sizeof signal_names / sizeof signal_names[0])

const char *lg_signal_name(int signo, char *buf, size_t size)
{
    for (size_t i = 0; i < N_NAMES; i++)
        if (signal_names[i].signo == signo) {
            snprintf(buf, size, "SIG%s", signal_names[i].name);
            return buf;
        }
    if (signo >= SIGRTMIN && signo <= SIGRTMAX)
        snprintf(buf, size, "SIGRTMIN+%d", signo - SIGRTMIN);
    else
        snprintf(buf, size, "signal %d", signo);
    return buf;
}

/* "12" into *n (at most `max`); false when not all digits or too big. */
static bool small_number(const char *text, int max, int *n)
{
    int v = 0;
    if (!*text)
        return false;
    for (; *text; text++) {
        if (*text < '0' || *text > '9' || v > max)
            return false;
        v = v * 10 + (*text - '0');
    }
    if (v > max)
        return false;
    *n = v;
    return true;
}

const char *lg_parse_signal_number(const char *text, int *signo)
{
    static const char invalid[] =
        "is not a signal (examples: URG, SIGURG, sigurg, 23, RTMIN+2, RTMAX-1)";
    int n;
    if (*text && !text[strspn(text, "0123456789")]) {
        if (!small_number(text, SIGRTMAX, &n) || n == 0)
            return "is not a signal number of this system (see kill -l)";
        *signo = n;
        return NULL;
    }
    const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    for (size_t i = 0; i < N_NAMES; i++)
        if (strcasecmp(name, signal_names[i].name) == 0) {
            *signo = signal_names[i].signo;
            return NULL;
        }
    /* RTMIN, RTMIN+n, RTMAX, RTMAX-n, as kill -l lists them */
    bool min = strncasecmp(name, "RTMIN", 5) == 0, max = strncasecmp(name, "RTMAX", 5) == 0;
    if (!min && !max)
        return invalid;
    const char *rest = name + 5;
    n = 0;
    if (*rest && (*rest != (min ? '+' : '-') || !small_number(rest + 1, SIGRTMAX - SIGRTMIN, &n)))
        return invalid;
    *signo = min ? SIGRTMIN + n : SIGRTMAX - n;
    return NULL;
}

/* Why a signal cannot be LIBGUARD_PYTHON_SIGNAL, or NULL when it can be.
 * libguard handles that signal in the interpreter while the program leaves
 * it alone; these would break something else, or could never arrive. */
static const char *python_signal_unfit(int signo)
{
    switch (signo) {
    case SIGKILL: case SIGSTOP:
        return "cannot be caught";
    case SIGINT: case SIGTERM:
        return "is one of the ladder's own steps";
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGSYS:
    case SIGABRT:
        return "reports a fault or an abort, which faulthandler and debuggers must see";
    case SIGTSTP: case SIGTTIN: case SIGTTOU:
        return "stops the program for job control (Ctrl-Z), which a handler would prevent";
    }
    if (signo < SIGRTMIN && signo > SIGSYS)
        return "is reserved by the C library for its threads";
    return NULL;
}

const char *lg_parse_signal(const char *text, int *signo, char *why, size_t why_size)
{
    int n;
    const char *problem = lg_parse_signal_number(text, &n);
    if (problem)
        return problem;
    const char *unfit = python_signal_unfit(n);
    if (unfit) {
        char name[32];
        snprintf(why, why_size, "is not a signal libguard can use: %s %s "
                 "(examples: SIGURG, SIGWINCH, SIGRTMIN+2)",
                 lg_signal_name(n, name, sizeof name), unfit);
        return why;
    }
    *signo = n;
    return NULL;
}
