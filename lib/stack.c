/* Where the target was when its guard fired, for the log at the first step
 * of the ladder (each time a guard's ladder starts, at most MAX_REPORTS per
 * process so that a job with many timed-out records keeps a readable log):
 *
 * - every program: the target thread's scheduler state and the system call
 *   it is blocked in, from /proc/self/task/TID (safe to read at any time);
 * - CPython: the Python stacks of all threads, the target marked "Current
 *   thread", in faulthandler's format (py/stacks.c).  Not read here: the
 *   interpreter frees frames as it runs, so they are read only by a thread
 *   that holds the GIL, the one that delivers the step's exception
 *   (lg_stack_log_python);
 * - native programs: we cannot walk their stack safely from another thread
 *   (no frame pointers, no unwind tables for sure, no way to stop it without
 *   a signal handler of ours in the program): say once what can.
 *
 * The native line is taken before the step interrupts the target (where it
 * hung, not where the interrupt took it) and logged after (writing it,
 * however slow the reader, must not delay the step); the Python stacks are
 * where the exception finds the target.  The Python dump goes into an
 * anonymous memory file first, then to the log, a few lines per write:
 * same place, same prefix, same accounting of our own output as the step
 * lines, and nothing at all with LIBGUARD_LOG=none.  All
 * our reads and writes are counted as ours, so that LIBGUARD_PROGRESS=io
 * does not take the report for progress. */
#include "config.h"
#include "stack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "activity.h"
#include "clock.h"
#include "startdata.h"
#include "log.h"
#include "options.h"
#include "python.h"

#define MAX_REPORTS 20
#define MAX_DUMP (256 * 1024) /* faulthandler: <= 100 threads x 100 frames */

/* The system calls a stuck program is usually blocked in. */
static const char *syscall_name(long nr)
{
    static const struct { long nr; const char *name; } names[] = {
#define N(x) { SYS_##x, #x }
        N(read), N(write), N(openat), N(close), N(readv), N(writev), N(pread64),
        N(pwrite64), N(ppoll), N(pselect6), N(epoll_pwait), N(futex), N(wait4),
        N(waitid), N(nanosleep), N(clock_nanosleep), N(accept4), N(connect),
        N(recvfrom), N(recvmsg), N(sendto), N(sendmsg), N(flock), N(fcntl),
        N(fsync), N(fdatasync), N(msgrcv), N(semtimedop), N(rt_sigtimedwait),
        N(rt_sigsuspend), N(io_getevents), N(getrandom), N(ioctl),
#ifdef SYS_poll
        N(poll),
#endif
#ifdef SYS_select
        N(select),
#endif
#ifdef SYS_epoll_wait
        N(epoll_wait),
#endif
#ifdef SYS_pause
        N(pause),
#endif
#ifdef SYS_accept
        N(accept),
#endif
#ifdef SYS_open
        N(open),
#endif
#undef N
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i].nr == nr)
            return names[i].name;
    return NULL;
}

static const char *state_name(char c)
{
    switch (c) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "in uninterruptible sleep (disk or NFS I/O?)";
    case 'T': return "stopped";
    case 't': return "stopped by a debugger";
    case 'Z': return "a zombie";
    default: return "in an unknown state";
    }
}

/* "main thread is sleeping (S), in system call clock_nanosleep (230)" */
static void native_line(pid_t tid, const char *target, char *line, size_t size)
{
    char path[64], buf[512], where[160] = "";
    char state = '?';
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    errno = 0;
    if (!lg_read_own(path, buf, sizeof buf)) {
        /* Gone, or a cause of the program's own (no descriptor left). */
        int err = errno;
        snprintf(line, size, "%s: cannot read %s (%s)", target, path,
                 err && err != ENOENT && err != ESRCH ? strerror(err) : "has it ended?");
        return;
    }
    const char *p = strrchr(buf, ')'); /* the name may hold spaces and ')' */
    if (p && p[1] == ' ' && p[2])
        state = p[2];

    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    if (lg_read_own(path, buf, sizeof buf)) {
        if (!strcmp(buf, "running")) {
            snprintf(where, sizeof where, ", outside any system call");
        } else {
            long nr = strtol(buf, NULL, 10);
            const char *name = nr >= 0 ? syscall_name(nr) : NULL;
            if (nr < 0)
                snprintf(where, sizeof where, ", not in a system call");
            else if (name)
                snprintf(where, sizeof where, ", in system call %s (%ld)", name, nr);
            else
                snprintf(where, sizeof where, ", in system call %ld", nr);
        }
    }
    size_t used = strlen(where);
    snprintf(path, sizeof path, "/proc/self/task/%d/wchan", (int)tid);
    if (lg_read_own(path, buf, sizeof buf) && strcmp(buf, "0") != 0)
        snprintf(where + used, sizeof where - used, ", waiting in the kernel at %.100s", buf);
    snprintf(line, size, "%s is %s (%c)%s", target, state_name(state), state, where);
}

int lg_stack_scratch(void)
{
    int fd = (int)syscall(SYS_memfd_create, "libguard-stack", MFD_CLOEXEC);
    if (fd < 0)
        fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    return fd;
}

/* The dump, one log line per line, the target's block ("Current thread ...")
 * first (faulthandler lists the newest thread first, the main thread last),
 * or left out when it is the writer's own (`current_too` false). */
static void copy_to_log(int fd, bool current_too)
{
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0)
        return;
    /* Python wrote it all with write(2): ours, not the program's I/O. */
    atomic_fetch_add(&lg_own_written_bytes, (uint64_t)size);
    bool cut = size > MAX_DUMP;
    if (cut)
        size = MAX_DUMP;
    char *text = malloc((size_t)size + 1);
    if (!text)
        return;
    ssize_t n = pread(fd, text, (size_t)size, 0);
    if (n > 0) {
        atomic_fetch_add(&lg_own_read_bytes, (uint64_t)n);
        text[n] = '\0';
        struct lg_log_batch batch = { .used = 0 };
        for (int pass = current_too ? 0 : 1; pass < 2; pass++) {
            bool current = false;
            for (char *line = text, *end; *line; line = end + (*end != '\0')) {
                end = line + strcspn(line, "\n");
                if (!strncmp(line, "Current thread ", 15))
                    current = true;
                else if (!strncmp(line, "Thread ", 7))
                    current = false;
                /* faulthandler puts a blank line between threads */
                if (end > line && current == (pass == 0))
                    lg_log_batch_line(&batch, line, (size_t)(end - line));
            }
        }
        lg_log_batch_flush(&batch);
        if (cut)
            lg_log("(the Python stacks are cut at %d KiB)", MAX_DUMP / 1024);
    }
    free(text);
}

/* The pid of a process whose watchdog is between lg_stack_capture and the
 * end of lg_stack_log, else 0 (a pid: a forked child does not wait for its
 * parent's watchdog). */
static _Atomic uint32_t describing LG_START_DATA;

void lg_stack_wait_logged(void)
{
    if (!atomic_load(&describing))
        return; /* every process that loads libguard exits through here */
    uint32_t self = (uint32_t)getpid();
    uint64_t until = lg_now() + LG_NS_PER_S;
    for (uint64_t now; atomic_load(&describing) == self && (now = lg_now()) < until;) {
        struct timespec slice = { 0, 10 * 1000 * 1000 };
        syscall(SYS_futex, &describing, FUTEX_WAIT_PRIVATE, self, &slice, NULL, 0);
    }
}

void lg_stack_log_python(int fd, const char *target, bool marked)
{
    lg_log(marked ? "Python stacks, most recent call first; %s is the \"Current thread\", "
                    "listed first:"
                  : "Python stacks, most recent call first (%s not marked):", target);
    copy_to_log(fd, marked);
    lg_log("end of the Python stacks");
    close(fd);
}

bool lg_stack_capture(const struct lg_desc *d, const char *target, bool raising,
                      struct lg_stack *s)
{
    static _Atomic int reports;
    s->python = 0;
    if (!lg_log_enabled())
        return false;
    int n = atomic_fetch_add(&reports, 1);
    if (n >= MAX_REPORTS) {
        if (n == MAX_REPORTS)
            lg_log("no more stacks in this process (%d reported)", MAX_REPORTS);
        return false;
    }
    pid_t tid = (pid_t)d->tid;
    snprintf(s->target, sizeof s->target, "%s", target);
    native_line(tid, target, s->native, sizeof s->native);
    atomic_store(&describing, (uint32_t)getpid());
    s->python = lg_python_stacks_ask(tid, raising, s->why, sizeof s->why);
    return true;
}

void lg_stack_log(struct lg_stack *s)
{
    static _Atomic bool said_native;
    lg_log("%s", s->native);
    if (s->python < 0)
        lg_log("no Python stack: %s", s->why);
    else if (s->python > 0)
        lg_log("the Python stacks are logged if and when %s takes the exception", s->target);
    if (s->python == 0 && !atomic_exchange(&said_native, true))
        lg_log("no stack for native code from inside the program: `gdb -p %d -batch -ex "
               "'thread apply all bt'` or `eu-stack -p %d` prints it while it hangs "
               "(a longer LIBGUARD_GRACE_PERIOD leaves time for it)",
               (int)getpid(), (int)getpid());
    atomic_store(&describing, 0);
    syscall(SYS_futex, &describing, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}
