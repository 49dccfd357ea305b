/* latency MODE [ARG]: one measurement under the shim, printed as a number.
 *
 * deadline: spins; prints the milliseconds between LIBGUARD_TIMEOUT after
 *   start (taken in a constructor, which runs just after libguard's, so the
 *   figure can only be smaller than the truth by a few microseconds) and the
 *   arrival of SIGINT.
 * wakeups SECONDS: reports progress about 1000 times a second for SECONDS;
 *   prints the watchdog thread's context switches per second.
 * idle SECONDS: sleeps; prints the watchdog's wake-ups per second.
 * Both count only after a first second of the same loop, so that the
 * watchdog's start (its first samples, the first look at a deadline) is not
 * spread over a short run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double start_ms;
static volatile sig_atomic_t got;
static double got_ms;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

__attribute__((constructor)) static void mark_start(void) { start_ms = now_ms(); }

static void on_sigint(int signo)
{
    (void)signo;
    got_ms = now_ms();
    got = 1;
}

/* Voluntary + involuntary context switches of every thread but this one:
 * the watchdog is the only other thread. */
static long watchdog_switches(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    long total = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == getpid())
            continue;
        char path[sizeof "/proc/self/task//status" + sizeof e->d_name], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
            long n;
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1
                || sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
                total += n;
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return total;
}

/* Sleeps 1 ms at a time for SECONDS, reporting progress each time if given. */
static void run_for(double seconds, void (*progress)(void))
{
    double t0 = now_ms();
    while (now_ms() - t0 < seconds * 1000) {
        if (progress)
            progress();
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "deadline")) {
        signal(SIGINT, on_sigint);
        while (!got)
            ;
        const char *t = getenv("LIBGUARD_TIMEOUT");
        printf("%.3f\n", got_ms - start_ms - atof(t) * 1000);
        return 0;
    }
    if (argc >= 3 && (!strcmp(argv[1], "wakeups") || !strcmp(argv[1], "idle"))) {
        void (*progress)(void) = NULL;
        if (!strcmp(argv[1], "wakeups"))
            progress = (void (*)(void))dlsym(RTLD_DEFAULT, "guard_progress");
        double seconds = atof(argv[2]);
        run_for(1, progress); /* warm-up, not counted */
        long before = watchdog_switches();
        run_for(seconds, progress);
        printf("%.2f\n", (watchdog_switches() - before) / seconds);
        return 0;
    }
    fprintf(stderr, "usage: latency deadline | wakeups SECONDS | idle SECONDS\n");
    return 2;
}
