/* When the main thread ends first.
 *
 * A program may end its main thread with pthread_exit() and let its other
 * threads run on.  glibc counts the threads of the process and calls exit(0)
 * in the last one to end.  The watchdog is one of the threads it counts:
 * without help, the last thread of the program would leave the watchdog
 * behind, blocking every signal, and the process would never end (a SIGTERM
 * sent to it would stay pending).  So once the main thread has left, the
 * watchdog looks every POLL_NS whether it is the last thread standing (the
 * main thread stays listed, a zombie, until the process ends) and then does
 * what the last thread would have done: it takes the signals sent to the
 * process meanwhile (one whose default action ends the process does so) and
 * calls exit(0), which runs the program's exit handlers and flushes its
 * stdio.  The polling costs nothing until a main thread leaves.
 *
 * A step aimed at a main thread that has ended would do nothing: the kernel
 * delivers no signal to an exiting thread.  The ladder aims such steps at the
 * process instead (ladder.c). */
#include "config.h"
#include "lastthread.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "activity.h"
#include "clock.h"
#include "options.h"
#include "watchdog.h"

#define POLL_NS (20 * LG_NS_PER_MS)

static _Atomic bool left;

void lg_main_leaving(void)
{
    if (!atomic_exchange(&left, true))
        lg_watchdog_wake();
}

void lg_last_thread_forget(void)
{
    atomic_store(&left, false);
}

/* The state letter of /proc/self/task/TID/stat ('Z': ended, a zombie), or
 * of /proc/self/stat (the main thread's) for tid 0; and, from the latter,
 * the number of threads. */
static bool read_stat(pid_t tid, char *state, long *threads)
{
    char path[64], buf[1024];
    if (tid)
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    if (!lg_read_own(path, buf, sizeof buf))
        return false;
    const char *p = strrchr(buf, ')'); /* the name may hold spaces and ')' */
    if (!p || p[1] != ' ' || !p[2])
        return false;
    *state = p[2];
    /* Fields after the state: ppid pgrp session tty_nr tpgid flags minflt
     * cminflt majflt cmajflt utime stime cutime cstime priority nice, then
     * num_threads. */
    p += 3;
    for (int field = 0; field < 17 && p; field++)
        p = strchr(p + 1, ' ');
    *threads = p ? strtol(p + 1, NULL, 10) : 0;
    return p != NULL;
}

static bool ended(char state)
{
    return state == 'Z' || state == 'X';
}

bool lg_main_ended(void)
{
    char state;
    long threads;
    return read_stat(0, &state, &threads) && ended(state);
}

/* Is any thread but the watchdog (the caller) still running?  Kernels differ
 * on whether the zombie main thread counts in num_threads, so when that
 * count is small the threads are looked at one by one (getdents64 on a
 * buffer of ours: no allocation). */
static bool program_threads_left(void)
{
    char state;
    long threads;
    if (!read_stat(0, &state, &threads) || !ended(state))
        return true;
    if (threads > 2)
        return true;
    int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return true;
    pid_t self = (pid_t)syscall(SYS_gettid);
    bool left_any = false;
    char buf[4096];
    long n;
    while (!left_any && (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
        for (long at = 0; at < n && !left_any;) {
            struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type;
                     char name[]; } *e = (void *)(buf + at);
            pid_t tid = (pid_t)strtol(e->name, NULL, 10);
            long unused;
            if (tid > 0 && tid != self && tid != getpid()
                && read_stat(tid, &state, &unused) && !ended(state))
                left_any = true;
            at += e->reclen;
        }
    }
    close(dir);
    return left_any;
}

uint64_t lg_last_thread_check(uint64_t now)
{
    if (!atomic_load(&left))
        return LG_NEVER;
    if (!program_threads_left()) {
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        exit(0);
    }
    return now + POLL_NS;
}
