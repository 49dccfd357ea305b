/* Shared by the test programs: note each signal as one line on stdout,
 * "SIGINT 512 main" (milliseconds since the program started, which thread),
 * with write(2) only, so it is safe in a signal handler. */
#ifndef TESTS_RECORD_H
#define TESTS_RECORD_H

#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct timespec record_epoch;
static const char *record_label = "";

static inline long record_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - record_epoch.tv_sec) * 1000
         + (now.tv_nsec - record_epoch.tv_nsec) / 1000000;
}

static inline void record_line(const char *what)
{
    char line[128];
    int n = snprintf(line, sizeof line, "%s%s %ld %s\n", record_label, what, record_ms(),
                     syscall(SYS_gettid) == getpid() ? "main" : "thread");
    ssize_t unused = write(STDOUT_FILENO, line, (size_t)n);
    (void)unused;
}

static inline void record_signal(int signo)
{
    record_line(signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "SIGNAL");
}

static inline void record_start(void)
{
    clock_gettime(CLOCK_MONOTONIC, &record_epoch);
}

static inline void record_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = record_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Burn CPU until `ms` since the start; a call in the body keeps it honest. */
static inline void spin_until(long ms)
{
    while (record_ms() < ms)
        ;
}

#endif
