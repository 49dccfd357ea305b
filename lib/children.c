/* Waiting parents (children.h).
 *
 * What the target thread is blocked in comes from /proc/self/task/TID/syscall
 * (the number and arguments of the call in progress, "running" outside one).
 * Which calls count was checked against the programs that wait for children
 * under strace, not assumed:
 *
 *   dash, bash, xargs -P, Python's subprocess.run / Popen.wait   wait4
 *   timeout(1)                                                   rt_sigsuspend
 *   tini                                          rt_sigtimedwait (1 s rounds)
 *   make -j (waiting for a job-server token)      pselect6, mask letting SIGCHLD in
 *
 * Waits that also wait for other things are left alone on purpose: a
 * parent reading its child's output (command substitution, Python's
 * communicate() and capture_output=True) is blocked on a pipe, and a
 * polling loop (subprocess.run(timeout=...)) sleeps: those are interrupted
 * as before.  The poll-like calls count only with a signal mask of their own
 * that lets in a SIGCHLD the program catches: the call then returns when a
 * child ends, which is the pselect idiom for "wait for a child or a token".
 *
 * Children: /proc/self/task/TID/children of every thread (a child belongs to
 * the thread that forked it; a wait in any thread reaps it), else, where the
 * kernel lacks that file, every /proc/PID/stat whose parent is us.  A child
 * counts when one of its threads is named LG_WATCHDOG_NAME: libguard runs in
 * it with a guard armed.  A zombie has no such thread.  Only children are
 * looked at: a guarded grandchild's parent is itself a guarded process that
 * waits (a shell whose child is a shell), or unguarded, and then this
 * process's guard is the only one below it. */
#include "config.h"
#include "children.h"

#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "activity.h"

static _Atomic bool waits_count = true;

void lg_children_configure(bool count)
{
    atomic_store(&waits_count, count);
}

bool lg_children_waits_count(void)
{
    return atomic_load(&waits_count);
}

void lg_children_name_watchdog(void)
{
    prctl(PR_SET_NAME, LG_WATCHDOG_NAME, 0, 0, 0);
}

/* Read our own memory without risking a fault: the pointer is an argument
 * of another thread's call, which may have returned meanwhile. */
static bool peek(uint64_t addr, void *buf, size_t size)
{
    struct iovec local = { buf, size }, remote = { (void *)(uintptr_t)addr, size };
    return addr && process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)size;
}

/* A signal mask (a user pointer) that lets SIGCHLD in, while the program
 * catches SIGCHLD: a child's end interrupts the call. */
static bool lets_sigchld_in(uint64_t mask_addr)
{
    unsigned long mask;
    struct sigaction sa;
    if (!peek(mask_addr, &mask, sizeof mask) || (mask >> (SIGCHLD - 1)) & 1)
        return false;
    return sigaction(SIGCHLD, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL
           && sa.sa_handler != SIG_IGN;
}

/* Does one of pid's threads carry the watchdog's name? */
static bool carries_guard(pid_t pid)
{
    char path[64], name[32];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    if (!dir)
        return false;
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(dir));) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.16s/comm", (int)pid, e->d_name);
        found = lg_read_own(path, name, sizeof name) && !strcmp(name, LG_WATCHDOG_NAME);
    }
    closedir(dir);
    return found;
}

/* Did pid start less than young_ns ago (/proc/PID/stat's start time, in
 * clock ticks since boot), or has it just ended, not reaped yet?  Either way
 * its guard cannot be seen, and the parent's wait is about to begin or end:
 * a child's own step can end it a moment before the parent's deadline,
 * which comes at about the same time when both have the same timeout. */
static bool starting_or_ending(pid_t pid, uint64_t young_ns)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!lg_read_own(path, stat, sizeof stat))
        return false;
    const char *p = strrchr(stat, ')'); /* the name may hold spaces and ')' */
    unsigned long long ticks;
    unsigned flags;
    char state;
    if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d "
                            "%*d %*d %*d %*d %llu", &state, &flags, &ticks) != 3)
        return false;
    if (state == 'Z' || (flags & 0x4)) /* ended, or ending (PF_EXITING) */
        return true;
    struct timespec boot;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0)
        return false;
    uint64_t now = (uint64_t)boot.tv_sec * 1000000000u + (uint64_t)boot.tv_nsec;
    uint64_t started = (uint64_t)ticks * (1000000000u / (uint64_t)hz);
    return now < started + young_ns;
}

/* A guarded child, from the pids listed in `list`; else minus a young one
 * (see children.h); else 0. */
static pid_t guarded_in_list(const char *list, uint64_t young_ns)
{
    pid_t young = 0;
    for (char *end; *list; list = end) {
        long pid = strtol(list, &end, 10);
        if (end == list)
            break;
        if (pid > 0 && carries_guard((pid_t)pid))
            return (pid_t)pid;
        if (pid > 0 && !young && starting_or_ending((pid_t)pid, young_ns))
            young = -(pid_t)pid;
    }
    return young;
}

/* Without /proc/PID/task/TID/children: every process whose parent is us,
 * as a list for guarded_in_list. */
static void children_by_scan(char *list, size_t size)
{
    size_t used = 0;
    list[0] = '\0';
    DIR *proc = opendir("/proc");
    if (!proc)
        return;
    pid_t self = getpid();
    char path[64], stat[512];
    for (struct dirent *e; (e = readdir(proc));) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%.16s/stat", e->d_name);
        if (!lg_read_own(path, stat, sizeof stat))
            continue;
        const char *p = strrchr(stat, ')'); /* the name may hold spaces and ')' */
        int ppid, n;
        if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == self) {
            n = snprintf(list + used, size - used, "%.16s ", e->d_name);
            if (n < 0 || (size_t)n >= size - used)
                break; /* a long list is cut: enough */
            used += (size_t)n;
        }
    }
    closedir(proc);
}

static pid_t any_guarded_child(uint64_t young_ns)
{
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks)
        return 0;
    pid_t found = 0;
    bool listed = false;
    char path[64], list[4096];
    for (struct dirent *e; found <= 0 && (e = readdir(tasks));) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%.16s/children", e->d_name);
        if (access(path, F_OK) != 0)
            continue;
        listed = true;
        if (lg_read_own(path, list, sizeof list)) { /* a long list is cut: enough */
            pid_t here = guarded_in_list(list, young_ns);
            if (here > 0 || !found)
                found = here;
        }
    }
    closedir(tasks);
    if (listed)
        return found;
    children_by_scan(list, sizeof list);
    return guarded_in_list(list, young_ns);
}

pid_t lg_children_guarded_wait(pid_t tid, uint64_t young_ns, char *call, size_t size)
{
    if (!lg_children_waits_count())
        return 0;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    if (!lg_read_own(path, buf, sizeof buf))
        return 0;
    /* "NR ARG0 ... ARG5 SP PC", the arguments in hex */
    unsigned long long a[6] = { 0 };
    char *end;
    long nr = strtol(buf, &end, 10);
    if (end == buf || nr < 0) /* "running", or not in a system call */
        return 0;
    for (int i = 0; i < 6; i++)
        a[i] = strtoull(end, &end, 16);

    const char *name = NULL;
    pid_t only = 0; /* a wait for one given child */
    if (nr == SYS_wait4) {
        name = "wait4";
        only = (pid_t)(int)a[0] > 0 ? (pid_t)(int)a[0] : 0;
    } else if (nr == SYS_waitid) {
        name = "waitid";
        only = (int)a[0] == P_PID ? (pid_t)(int)a[1] : 0;
    } else if (nr == SYS_rt_sigsuspend) {
        name = "rt_sigsuspend";
    } else if (nr == SYS_rt_sigtimedwait) {
        name = "rt_sigtimedwait";
#ifdef SYS_pause
    } else if (nr == SYS_pause) {
        name = "pause";
#endif
    } else if (nr == SYS_ppoll) {
        name = lets_sigchld_in(a[3]) ? "ppoll" : NULL;
    } else if (nr == SYS_epoll_pwait) {
        name = lets_sigchld_in(a[4]) ? "epoll_pwait" : NULL;
    } else if (nr == SYS_pselect6) {
        uint64_t mask_and_size[2]; /* pselect6's last argument points to both */
        name = peek(a[5], mask_and_size, sizeof mask_and_size)
                       && lets_sigchld_in(mask_and_size[0]) ? "pselect6" : NULL;
    }
    if (!name)
        return 0;
    pid_t child = only ? (carries_guard(only) ? only : starting_or_ending(only, young_ns) ? -only : 0)
                       : any_guarded_child(young_ns);
    snprintf(call, size, "%s", name);
    return child;
}
