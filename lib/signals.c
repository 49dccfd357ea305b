/* Signals by name, as settings and messages write them. */
#include "config.h"
#include "signals.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- signals ------------------------------------------------------------ */

static const struct { const char *name; int signo; } signal_names[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
    { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
    { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
    { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
    { "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
    { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
    { "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

const char *lg_signal_name(int signo, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
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

const char *lg_parse_signal(const char *text, int *signo)
{
    static const char invalid[] =
        "is not a signal libguard can use (examples: SIGURG, SIGWINCH, "
        "SIGRTMIN+2; not SIGINT, SIGTERM, SIGKILL, SIGSTOP or a fault signal)";
    const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    int found = 0;
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (strcasecmp(name, signal_names[i].name) == 0)
            found = signal_names[i].signo;
    if (!found && strncasecmp(name, "RTMIN", 5) == 0) {
        const char *p = name + 5;
        int offset = 0;
        if (*p == '+' && p[1]) {
            for (p++; *p >= '0' && *p <= '9' && offset <= SIGRTMAX; p++)
                offset = offset * 10 + (*p - '0');
        }
        if (*p || offset > SIGRTMAX - SIGRTMIN)
            return invalid;
        found = SIGRTMIN + offset;
    }
    switch (found) {
    case 0: case SIGINT: case SIGTERM: case SIGKILL: case SIGSTOP:
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP:
    case SIGABRT: case SIGSYS:
        return invalid;
    }
    *signo = found;
    return NULL;
}
