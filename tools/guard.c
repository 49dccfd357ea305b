/* guard [OPTIONS] [--] COMMAND [ARG...]: run COMMAND inside its time and
 * memory budget, like timeout(1).
 *
 * How it works (see guard(1)):
 *
 *  - Flags (flags.c) are parsed by the shim's own option table (lib/options.c): each
 *    flag is one LIBGUARD_* variable, set in the command's environment, and
 *    the whole environment the command will see is validated the way the
 *    shim will validate it, so a bad value or a contradiction stops guard
 *    (status 125) before the command starts.
 *  - libguard.so is prepended to LD_PRELOAD; the shim inside the command
 *    runs the escalation ladder.  It appends "started PID" to the private status
 *    file (LIBGUARD_STATUS_FILE) when it arms, and "time" or "memory" for
 *    each step: guard learns there which guard fired (status 124 or 122).
 *  - The command runs in its own process group; INT, TERM, HUP, QUIT, USR1
 *    and USR2 sent to guard are forwarded to that group.  guard is a child
 *    subreaper, so orphans of the job come back to it.
 *  - When the command ends after a guard step, the job is over: what is left
 *    of its process group gets the last step (SIGTERM, or SIGKILL with -k),
 *    then SIGKILL after the grace period, so no orphan outlives the job.
 *  - Outside mode: a command the shim cannot enter (statically linked,
 *    setuid/setgid or with file capabilities, or one that never reports in)
 *    is guarded by guard itself: the time limit counts from the start,
 *    memory is the command's /proc/PID/statm, and the signal ladder goes to
 *    the command (its last step to the group).  guard also looks every
 *    500ms whether the command executed another program, and whether the
 *    shim is in that one (libguard in /proc/PID/maps).
 *  - On a terminal, the command's group gets the foreground; Ctrl-Z stops
 *    guard with it.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "flags.h"
#include "options.h"

#ifndef GUARD_LIBRARY
#define GUARD_LIBRARY "libguard.so.0"
#endif
/* Overrides GUARD_LIBRARY, e.g. to run from the build tree.  Not a LIBGUARD_*
 * name: the shim rejects unknown ones. */
#define LIBRARY_VARIABLE "GUARD_LIBRARY"

enum {
    STATUS_MEMORY = 122,
    STATUS_TIME = 124,
    STATUS_FAILED = 125,
    STATUS_CANNOT_RUN = 126,
    STATUS_NOT_FOUND = 127,
};

/* How long a dynamically linked command has to report in before guard
 * guards it from outside. */
#define HANDSHAKE_NS (1000 * LG_NS_PER_MS)
#define LADDER_STEPS 3
/* How often guard looks whether the command executed another program. */
#define EXEC_CHECK_NS (500 * LG_NS_PER_MS)

extern char **environ;

static const char *program = "guard";

/* ---- messages ------------------------------------------------------------ */

static struct lg_settings eff;      /* the effective settings */
static char status_path[PATH_MAX];  /* removed at exit */

static void cleanup_status_file(void)
{
    if (status_path[0])
        unlink(status_path);
    status_path[0] = '\0';
}

/* One line, "PREFIX: message\n", formatted into `line` (cut to fit);
 * returns its length.  say() and note() differ only in prefix and place. */
static size_t format_line(char *line, size_t size, const char *prefix,
                          const char *fmt, va_list ap)
{
    int n = snprintf(line, size, "%s: ", prefix);
    int m = vsnprintf(line + n, size - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > size - 2)
        len = size - 2;
    line[len++] = '\n';
    return len;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(line, sizeof line, program, fmt, ap);
    va_end(ap);
    ssize_t unused = write(STDERR_FILENO, line, len);
    (void)unused;
}

static _Noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void fail(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    say("%s", line);
    cleanup_status_file();
    exit(STATUS_FAILED);
}

/* A step or an outside-mode notice: where LIBGUARD_LOG says, like the shim. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    if (eff.log == LG_LOG_NONE)
        return;
    char line[1024], prefix[64];
    snprintf(prefix, sizeof prefix, "%s[%d]", program, (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(line, sizeof line, prefix, fmt, ap);
    va_end(ap);
    int fd = STDERR_FILENO;
    if (eff.log == LG_LOG_FILE)
        fd = open(eff.log_path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return;
    ssize_t unused = write(fd, line, len);
    (void)unused;
    if (fd != STDERR_FILENO)
        close(fd);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * LG_NS_PER_S + (uint64_t)t.tv_nsec;
}

/* ---- sizes ----------------------------------------------------------------- */

/* A share ("50%") of the memory available, as the shim resolves it
 * (lib/memory.c, which guard does not link: it belongs to the library): the
 * cgroup's limit (v2 memory.max, else v1 memory.limit_in_bytes), else
 * MemTotal.  guard runs in the command's cgroup, so both see the same. */
static uint64_t read_number_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    unsigned long long v = 0;
    if (fscanf(f, "%llu", &v) != 1 || v >= (1ull << 62)) /* "max", v1's "no limit" */
        v = 0;
    fclose(f);
    return v;
}

static uint64_t memory_available(void)
{
    uint64_t limit = 0;
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[1024], file[1200];
    while (f && !limit && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        if (strcmp(line, "0") == 0 && !c1[1]) {
            snprintf(file, sizeof file, "/sys/fs/cgroup%s/memory.max", c2 + 1);
            limit = read_number_file(file);
            if (!limit) {
                snprintf(file, sizeof file, "/sys/fs/cgroup/unified%s/memory.max", c2 + 1);
                limit = read_number_file(file);
            }
        } else if (strstr(c1 + 1, "memory")) {
            snprintf(file, sizeof file, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", c2 + 1);
            limit = read_number_file(file);
        }
    }
    if (f)
        fclose(f);
    if (limit)
        return limit;
    f = fopen("/proc/meminfo", "re");
    unsigned long long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return (uint64_t)kib * 1024;
}

static uint64_t size_bytes(const struct lg_size *size)
{
    if (!size->share_ppm)
        return size->bytes;
    return (uint64_t)((__uint128_t)memory_available() * size->share_ppm / 1000000);
}

/* ---- the command ----------------------------------------------------------- */

/* Where execvp would find `name`: the first executable regular file on PATH. */
static bool resolve_command(const char *name, char *path, size_t size)
{
    if (strchr(name, '/')) {
        snprintf(path, size, "%s", name);
        return true;
    }
    const char *dirs = getenv("PATH");
    if (!dirs || !*dirs)
        dirs = "/bin:/usr/bin";
    while (*dirs) {
        size_t len = strcspn(dirs, ":");
        struct stat st;
        snprintf(path, size, "%.*s%s%s", (int)len, dirs, len ? "/" : "", name);
        if (access(path, X_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return true;
        dirs += len + (dirs[len] == ':');
    }
    return false;
}

/* Is this ELF file statically linked (no PT_INTERP)?  -1 when it is not ELF
 * or cannot be read (a script: its interpreter decides). */
static int statically_linked(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    union { Elf64_Ehdr e64; Elf32_Ehdr e32; } eh;
    int result = -1;
    uint64_t phoff;
    unsigned phnum, phentsize, type;
    if (pread(fd, &eh, sizeof eh, 0) < (ssize_t)sizeof eh.e32
        || memcmp(eh.e64.e_ident, ELFMAG, SELFMAG) != 0)
        goto out;
    if (eh.e64.e_ident[EI_CLASS] == ELFCLASS64) {
        type = eh.e64.e_type;
        phoff = eh.e64.e_phoff;
        phnum = eh.e64.e_phnum;
        phentsize = eh.e64.e_phentsize;
    } else if (eh.e64.e_ident[EI_CLASS] == ELFCLASS32) {
        type = eh.e32.e_type;
        phoff = eh.e32.e_phoff;
        phnum = eh.e32.e_phnum;
        phentsize = eh.e32.e_phentsize;
    } else {
        goto out;
    }
    if (type != ET_EXEC && type != ET_DYN)
        goto out;
    result = 1;
    /* p_type is the first word of a program header in both classes */
    for (unsigned i = 0; i < phnum && i < 4096; i++) {
        uint32_t p_type;
        if (pread(fd, &p_type, sizeof p_type, (off_t)(phoff + (uint64_t)i * phentsize))
            != (ssize_t)sizeof p_type) {
            result = -1;
            break;
        }
        if (p_type == PT_INTERP) {
            result = 0;
            break;
        }
    }
out:
    close(fd);
    return result;
}

/* Why the shim cannot enter this program, or NULL when it should. */
static const char *shim_cannot_enter(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return NULL; /* exec will say */
    if ((st.st_mode & S_ISUID) && st.st_uid != geteuid())
        return "it is setuid (the dynamic loader ignores LD_PRELOAD)";
    if ((st.st_mode & S_ISGID) && st.st_gid != getegid())
        return "it is setgid (the dynamic loader ignores LD_PRELOAD)";
    if (getxattr(path, "security.capability", NULL, 0) > 0)
        return "it has file capabilities (the dynamic loader ignores LD_PRELOAD)";
    if (statically_linked(path) == 1)
        return "it is statically linked (no dynamic loader to preload libguard)";
    return NULL;
}

/* Does --only-cmds/--skip-cmds (or their variables) select this program,
 * by the names guard can know: argv[0] and the file executed? */
static bool selected(const char *argv0, const char *path)
{
    const char *names[] = { argv0, path };
    return lg_cmds_selected(eff.only_cmds[0] ? eff.only_cmds : NULL,
                            eff.skip_cmds[0] ? eff.skip_cmds : NULL, names, 2);
}

/* ---- the status file ------------------------------------------------------- */

struct status {
    int started;  /* how many times the shim armed in the command's process */
    int skipped;  /* how many times the shim was in it, but --only-cmds or
                   * --skip-cmds left it out: nothing to guard from outside */
    int last;   /* 0, STATUS_TIME or STATUS_MEMORY: the guard that fired last */
    int steps;
};

static struct status read_status(pid_t pid)
{
    struct status s = { 0 };
    FILE *f = fopen(status_path, "re");
    if (!f)
        return s;
    char line[64];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        int who;
        if (sscanf(line, "started %d", &who) == 1) {
            s.started += who == pid;
        } else if (sscanf(line, "skipped %d", &who) == 1) {
            s.skipped += who == pid;
        } else if (strcmp(line, "time") == 0) {
            s.last = STATUS_TIME;
            s.steps++;
        } else if (strcmp(line, "memory") == 0) {
            s.last = STATUS_MEMORY;
            s.steps++;
        }
    }
    fclose(f);
    return s;
}

/* ---- supervision ----------------------------------------------------------- */

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define N_FORWARDED (sizeof forwarded / sizeof forwarded[0])

struct job {
    pid_t pid;                /* the command; also its process group */
    uint64_t start_ns;
    bool done;
    int wstatus;
    bool stopped;             /* stopped from the terminal (Ctrl-Z) */
    /* outside mode */
    bool outside;
    /* Is the shim in?  First the "started PID" report; then, for each
     * program the command executes, libguard in /proc/PID/maps. */
    enum { IN, WAIT_REPORT, WAIT_MAPPED } shim;
    uint64_t shim_due;        /* WAIT_*: outside mode if not in by then */
    bool watch_exec;
    char exe[PATH_MAX];       /* the program the shim is known to be in */
    uint64_t next_exe_check;
    uint64_t max_bytes;
    int time_step;
    uint64_t time_step_ns;
    int memory_step;
    uint64_t memory_step_ns, over_since, next_sample_ns;
    int fired;                /* outside mode: STATUS_TIME or STATUS_MEMORY */
};

static int sigfd = -1;
/* The terminal, when guard was started in its foreground: the command then
 * gets the foreground (so it can read the terminal, and Ctrl-C and Ctrl-Z
 * reach its process group directly), and guard takes it back at the end. */
static int tty_fd = -1;

static void give_terminal(pid_t pgrp)
{
    if (tty_fd < 0)
        return;
    sigset_t ttou, old;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU); /* as a background process group, it would stop us */
    sigprocmask(SIG_BLOCK, &ttou, &old);
    tcsetpgrp(tty_fd, pgrp);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Ctrl-Z stopped the command: stop guard too, so that the shell sees its job
 * stopped; when the shell continues guard, continue the command, in the
 * foreground again if guard is (fg) and in the background if not (bg). */
static void stop_with_command(struct job *job)
{
    give_terminal(getpgrp());
    kill(getpid(), SIGSTOP);
    if (tcgetpgrp(tty_fd) == getpgrp())
        give_terminal(job->pid);
    kill(-job->pid, SIGCONT);
}

static void reap(struct job *job)
{
    for (;;) {
        int ws;
        pid_t pid = waitpid(-1, &ws, WNOHANG | (tty_fd >= 0 ? WUNTRACED : 0));
        if (pid <= 0)
            return;
        if (pid == job->pid && WIFSTOPPED(ws)) {
            job->stopped = true;
        } else if (pid == job->pid) {
            job->done = true;
            job->wstatus = ws;
        }
    }
}

/* Drain the signal descriptor: forward what should be, reap children. */
static void handle_signals(struct job *job)
{
    struct signalfd_siginfo si;
    while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int signo = (int)si.ssi_signo;
        if (signo == SIGCHLD) {
            reap(job);
            continue;
        }
        if (!job->done) {
            if (eff.verbose) {
                char name[32];
                say("forwarding %s to the command's process group",
                    lg_signal_name(signo, name, sizeof name));
            }
            kill(-job->pid, signo);
        }
    }
    reap(job);
}

/* Wait until `deadline` (ns) or a signal; LG_NEVER-like UINT64_MAX waits on. */
static void wait_events(struct job *job, uint64_t deadline)
{
    struct pollfd p = { .fd = sigfd, .events = POLLIN };
    struct timespec ts, *tsp = NULL;
    if (deadline != UINT64_MAX) {
        uint64_t now = now_ns(), left = deadline > now ? deadline - now : 0;
        ts.tv_sec = (time_t)(left / LG_NS_PER_S);
        ts.tv_nsec = (long)(left % LG_NS_PER_S);
        tsp = &ts;
    }
    if (ppoll(&p, 1, tsp, NULL) > 0)
        handle_signals(job);
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static uint64_t resident_of(pid_t pid)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    unsigned long long size, resident;
    if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
        return 0;
    return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Outside mode: the signal ladder, from guard.  Steps 1 and 2 go to the
 * command, the last to its whole process group. */
static void outside_step(struct job *job, int kind, int step, const char *why)
{
    int signo = step == 1 ? SIGINT : step == 2 ? SIGTERM : eff.send_kill ? SIGKILL : SIGTERM;
    char name[32];
    lg_signal_name(signo, name, sizeof name);
    note("%s: %s to %s %d, step %d of %d (outside mode)%s", why, name,
         step == LADDER_STEPS ? "process group" : "process", (int)job->pid, step,
         LADDER_STEPS, eff.dry_run ? " (dry run: nothing sent)" : "");
    if (eff.dry_run)
        return;
    job->fired = kind;
    kill(step == LADDER_STEPS ? -job->pid : job->pid, signo);
}

/* One look from outside: fire what is due, return when to look again. */
static uint64_t outside_check(struct job *job, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    if (eff.timeout_ns && job->time_step < LADDER_STEPS) {
        uint64_t due = job->time_step == 0 ? job->start_ns + eff.timeout_ns
                                           : job->time_step_ns + eff.grace_ns;
        if (now >= due) {
            char ran[32], limit[32], why[128];
            lg_format_duration((now - job->start_ns) / LG_NS_PER_MS * LG_NS_PER_MS, ran,
                               sizeof ran);
            lg_format_duration(eff.timeout_ns, limit, sizeof limit);
            snprintf(why, sizeof why, "running for %s, no progress seen from outside (limit %s)",
                     ran, limit);
            job->time_step++;
            job->time_step_ns = now;
            outside_step(job, STATUS_TIME, job->time_step, why);
            due = now + eff.grace_ns;
        }
        if (job->time_step < LADDER_STEPS)
            next = min64(next, due);
    }
    if (job->max_bytes) {
        if (now >= job->next_sample_ns) {
            uint64_t bytes = resident_of(job->pid);
            job->next_sample_ns = now + eff.check_interval_ns;
            if (bytes <= job->max_bytes) {
                if (job->memory_step)
                    note("resident memory is back under the limit: the memory guard starts over");
                job->over_since = 0;
                job->memory_step = 0;
            } else {
                if (!job->over_since)
                    job->over_since = now;
                uint64_t due = job->memory_step == 0
                                   ? job->over_since + eff.memory_grace_ns
                                   : job->memory_step_ns + eff.memory_secondary_grace_ns;
                if (job->memory_step < LADDER_STEPS && now >= due) {
                    char size[32], limit[32], over[32], why[160];
                    lg_format_size(bytes, size, sizeof size);
                    lg_format_size(job->max_bytes, limit, sizeof limit);
                    lg_format_duration((now - job->over_since) / LG_NS_PER_MS * LG_NS_PER_MS,
                                       over, sizeof over);
                    snprintf(why, sizeof why, "resident memory %s over the limit of %s for %s",
                             size, limit, over);
                    job->memory_step++;
                    job->memory_step_ns = now;
                    outside_step(job, STATUS_MEMORY, job->memory_step, why);
                } else if (job->memory_step < LADDER_STEPS && due < job->next_sample_ns) {
                    job->next_sample_ns = due;
                }
            }
        }
        next = min64(next, job->next_sample_ns);
    }
    return next;
}

static void read_exe(pid_t pid, char *buf, size_t size)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, buf, size - 1);
    buf[n > 0 ? n : 0] = '\0';
}

/* Is libguard mapped into the program pid runs now?  1 yes, 0 no, -1
 * cannot tell (then guard trusts the shim: a false outside mode would ignore
 * progress). */
static int library_mapped(pid_t pid)
{
    char path[64], line[PATH_MAX + 256];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        const char *base = strrchr(line, '/');
        found = base && strncmp(base + 1, "libguard.so", 11) == 0;
    }
    fclose(f);
    return found;
}

static void enter_outside_mode(struct job *job, const char *why)
{
    job->outside = true;
    job->shim = IN;
    job->next_sample_ns = 0;
    note("outside mode: libguard is not in process %d: %s; guarding it from outside: "
         "signals only (no exception), no progress reports (the time limit counts from "
         "the start), memory of that process alone",
         (int)job->pid, why);
}

/* The job ended after a guard step: what is left of its process group gets
 * the last step, and SIGKILL if it is still there after the grace period. */
static void clean_up_group(struct job *job, int fired)
{
    if (kill(-job->pid, 0) != 0)
        return;
    int signo = eff.send_kill ? SIGKILL : SIGTERM;
    char name[32];
    note("the command ended; %s to what is left of its process group %d",
         lg_signal_name(signo, name, sizeof name), (int)job->pid);
    kill(-job->pid, signo);
    uint64_t grace = fired == STATUS_MEMORY ? eff.memory_secondary_grace_ns : eff.grace_ns;
    uint64_t deadline = now_ns() + (signo == SIGKILL ? LG_NS_PER_S : grace);
    /* Members whose parent is gone are guard's to reap (subreaper); the group
     * is empty when kill(-pgid, 0) fails.  No event says so for the others:
     * look every 50ms. */
    while (kill(-job->pid, 0) == 0) {
        uint64_t now = now_ns();
        if (now >= deadline) {
            if (signo == SIGKILL)
                break; /* unkillable (D state): do not wait for ever */
            note("SIGKILL to what is still left of process group %d", (int)job->pid);
            signo = SIGKILL;
            kill(-job->pid, SIGKILL);
            deadline = now + LG_NS_PER_S;
        }
        wait_events(job, min64(deadline, now + 50 * LG_NS_PER_MS));
    }
}

/* ---- main ------------------------------------------------------------------ */

static void print_settings(const char *command_path, const char *library, bool inside)
{
    char a[32], b[32], c[32];
    say("command: %s (%s)", command_path,
        inside ? "libguard preloaded into it" : "guarded from outside");
    if (inside)
        say("LD_PRELOAD=%s", getenv("LD_PRELOAD"));
    else
        say("library: %s", library);
    if (eff.timeout_ns) {
        lg_format_duration(eff.timeout_ns, a, sizeof a);
        lg_format_duration(eff.grace_ns, b, sizeof b);
        say("time guard: %s without progress, then steps %s apart (%s%s)", a, b,
            lg_interrupt_name(eff.interrupt), eff.send_kill ? ", SIGKILL last" : "");
    }
    if (eff.set & (1u << LG_OPT_MAX_MEMORY)) {
        lg_format_size(size_bytes(&eff.max_memory), a, sizeof a);
        lg_format_duration(eff.memory_grace_ns, b, sizeof b);
        char d[32];
        lg_format_duration(eff.memory_secondary_grace_ns, c, sizeof c);
        lg_format_duration(eff.check_interval_ns, d, sizeof d);
        say("memory guard: %s resident, %s grace, then steps %s apart, sampled every %s (%s%s)",
            a, b, c, d, lg_interrupt_name(eff.interrupt), eff.send_kill ? ", SIGKILL last" : "");
    }
    if (eff.dry_run)
        say("dry run: steps are logged, nothing is interrupted");
    say("status file: %s", status_path);
}

int main(int argc, char **argv)
{
    struct guard_flags flags;
    char why[1024];
    if (guard_flags_parse(argc, argv, &flags, why, sizeof why) != 0)
        fail("%s", why);
    char **command = flags.command;

    /* The library to preload. */
    const char *library = getenv(LIBRARY_VARIABLE);
    if (!library || !*library)
        library = GUARD_LIBRARY;
    /* Absolute (the command may change directory before it execs another
     * program), but not resolved: the installed name is the soname link. */
    char library_path[2 * PATH_MAX + 2];
    char cwd[PATH_MAX];
    if (library[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(library_path, sizeof library_path, "%s", library);
    else
        snprintf(library_path, sizeof library_path, "%s/%s", cwd, library);
    if (access(library_path, R_OK) != 0)
        fail("cannot find libguard at %s (%s); set %s to its path", library_path,
             strerror(errno), LIBRARY_VARIABLE);
    if (strpbrk(library_path, ": \t"))
        fail("the path of libguard (%s) has a ':' or a blank, which LD_PRELOAD cannot hold",
             library_path);

    /* The private status file. */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(status_path, sizeof status_path, "%s/guard-status-XXXXXX", tmp);
    int status_fd = mkostemp(status_path, O_CLOEXEC);
    if (status_fd < 0) {
        int err = errno;
        status_path[0] = '\0';
        fail("cannot create a status file in %s (%s)", tmp, strerror(err));
    }
    close(status_fd);

    /* The command's environment: the flags over what is inherited. */
    bool inherited[LG_OPT_COUNT];
    for (int row = 0; row < LG_OPT_COUNT; row++)
        inherited[row] = getenv(lg_option_variable(row)) != NULL;
    for (int row = 0; row < LG_OPT_COUNT; row++)
        if (flags.given[row] && setenv(lg_option_variable(row), flags.given[row], 1) != 0)
            fail("cannot set %s (%s)", lg_option_variable(row), strerror(errno));
    setenv("LIBGUARD_STATUS_FILE", status_path, 1);
    const char *preload = getenv("LD_PRELOAD");
    bool present = false;
    if (preload) {
        char *copy = strdup(preload);
        for (char *save, *item = copy ? strtok_r(copy, ": \t", &save) : NULL; item;
             item = strtok_r(NULL, ": \t", &save))
            if (strcmp(item, library_path) == 0)
                present = true;
        free(copy);
    }
    if (!present) {
        size_t len = strlen(library_path) + (preload ? strlen(preload) : 0) + 2;
        char *value = malloc(len);
        if (!value)
            fail("out of memory");
        snprintf(value, len, "%s%s%s", library_path, preload && *preload ? ":" : "",
                 preload ? preload : "");
        setenv("LD_PRELOAD", value, 1);
        free(value);
    }

    /* Validate it the way the shim will: one parser, one set of rules. */
    char errors[4096];
    lg_settings_defaults(&eff);
    int problems = lg_settings_from_env(&eff, environ, errors, sizeof errors);
    if (problems) {
        for (char *save, *line = strtok_r(errors, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            char text[1024];
            snprintf(text, sizeof text, "%s", line);
            guard_flags_translate(text, sizeof text, &flags, inherited);
            say("%s", text);
        }
        cleanup_status_file();
        return STATUS_FAILED;
    }
    if (!(eff.set & ((1u << LG_OPT_TIMEOUT) | (1u << LG_OPT_MAX_MEMORY))))
        fail("nothing to guard: give -t/--timeout and/or -m/--max-memory");
    uint64_t max_bytes = 0;
    if (eff.set & (1u << LG_OPT_MAX_MEMORY)) {
        max_bytes = size_bytes(&eff.max_memory);
        if (!max_bytes)
            fail("%s is a share, but neither a cgroup limit nor MemTotal can be read",
                 flags.by_flag[LG_OPT_MAX_MEMORY] ? "--max-memory" : "LIBGUARD_MAX_MEMORY");
    }
    if (eff.log == LG_LOG_FILE && eff.log_path[0] != '/') {
        char cwd[PATH_MAX], joined[LG_PATH_MAX];
        if (getcwd(cwd, sizeof cwd)
            && (size_t)snprintf(joined, sizeof joined, "%s/%s", cwd, eff.log_path) < sizeof joined)
            memcpy(eff.log_path, joined, sizeof joined);
    }

    char command_path[PATH_MAX];
    const char *cannot_enter = NULL;
    if (resolve_command(command[0], command_path, sizeof command_path))
        cannot_enter = shim_cannot_enter(command_path);
    else
        snprintf(command_path, sizeof command_path, "%s", command[0]);
    /* A command the selection leaves out is not guarded from outside either
     * (the programs it runs are, by the shim, when it can enter them). */
    bool left_out = false;
    if (cannot_enter && !selected(command[0], command_path)) {
        if (eff.verbose)
            say("%s is left out by --only-cmds/--skip-cmds, and %s: not guarded",
                command_path, cannot_enter);
        cannot_enter = NULL;
        left_out = true;
    }
    if (eff.verbose)
        print_settings(command_path, library_path, !cannot_enter);

    /* Signals: forwarded ones (unless ignored when guard started, as a shell
     * does for background jobs: then guard ignores them too) and SIGCHLD
     * arrive on a descriptor. */
    sigset_t blocked, original;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    for (size_t i = 0; i < N_FORWARDED; i++) {
        struct sigaction old;
        sigaction(forwarded[i], NULL, &old);
        if (old.sa_handler != SIG_IGN)
            sigaddset(&blocked, forwarded[i]);
    }
    sigprocmask(SIG_BLOCK, &blocked, &original);
    sigfd = signalfd(-1, &blocked, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0)
        fail("cannot create a signal descriptor (%s)", strerror(errno));
    /* Orphans of the job come back to guard, which reaps them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
        tty_fd = STDIN_FILENO;

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        fail("cannot create a pipe (%s)", strerror(errno));
    fflush(NULL);
    struct job job = { 0 };
    job.start_ns = now_ns();
    job.pid = fork();
    if (job.pid < 0)
        fail("cannot fork (%s)", strerror(errno));
    if (job.pid == 0) {
        close(pipefd[0]);
        setpgid(0, 0);
        give_terminal(getpid());
        /* Its own process group is out of the terminal's reach: what a shell
         * ignores for a background job (INT, QUIT) is safe to reset, and the
         * ladder needs SIGINT to arrive. */
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        sigprocmask(SIG_SETMASK, &original, NULL);
        execvp(command[0], command);
        int err = errno;
        ssize_t unused = write(pipefd[1], &err, sizeof err);
        (void)unused;
        _exit(err == ENOENT ? STATUS_NOT_FOUND : STATUS_CANNOT_RUN);
    }
    setpgid(job.pid, job.pid); /* whichever of the two runs first */
    give_terminal(job.pid);
    close(pipefd[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(pipefd[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
        ;
    close(pipefd[0]);
    if (got == (ssize_t)sizeof exec_errno) {
        char shown[256];
        give_terminal(getpgrp());
        say("cannot run '%s': %s", lg_quote(command[0], shown, sizeof shown), strerror(exec_errno));
        while (waitpid(job.pid, NULL, 0) < 0 && errno == EINTR)
            ;
        cleanup_status_file();
        return exec_errno == ENOENT ? STATUS_NOT_FOUND : STATUS_CANNOT_RUN;
    }

    job.max_bytes = max_bytes;
    job.watch_exec = eff.children == LG_CHILDREN_INHERIT;
    if (cannot_enter) {
        enter_outside_mode(&job, cannot_enter);
    } else if (left_out) {
        job.shim = IN;
        snprintf(job.exe, sizeof job.exe, "%s", command_path);
    } else {
        job.shim = WAIT_REPORT;
        job.shim_due = now_ns() + HANDSHAKE_NS;
    }

    while (!job.done) {
        uint64_t now = now_ns(), next = UINT64_MAX;
        if (!job.outside && job.shim == IN && job.watch_exec && now >= job.next_exe_check) {
            /* Did the command execute another program, which the shim may
             * not be in? */
            char exe[PATH_MAX];
            read_exe(job.pid, exe, sizeof exe);
            if (exe[0] && strcmp(exe, job.exe) != 0) {
                const char *why = selected(exe, exe) ? shim_cannot_enter(exe) : NULL;
                job.start_ns = now; /* outside, the clock starts with the new program */
                if (why) {
                    char text[PATH_MAX + 128];
                    snprintf(text, sizeof text, "it executed %s, and %s", exe, why);
                    enter_outside_mode(&job, text);
                } else {
                    job.shim = WAIT_MAPPED;
                    job.shim_due = now + HANDSHAKE_NS;
                }
            }
            job.next_exe_check = now + EXEC_CHECK_NS;
        }
        if (!job.outside && job.shim == WAIT_REPORT) {
            struct status st = read_status(job.pid);
            if (st.started || st.skipped)
                job.shim = WAIT_MAPPED; /* it was in; is it in what runs now? */
        }
        if (!job.outside && job.shim == WAIT_MAPPED) {
            char exe[PATH_MAX];
            read_exe(job.pid, exe, sizeof exe);
            if (library_mapped(job.pid) != 0) {
                job.shim = IN;
                snprintf(job.exe, sizeof job.exe, "%s", exe);
                job.next_exe_check = now + EXEC_CHECK_NS;
            } else if (exe[0] && strcmp(exe, job.exe) != 0) {
                /* Executed before guard looked: no need to wait and see. */
                const char *why = selected(exe, exe) ? shim_cannot_enter(exe) : NULL;
                snprintf(job.exe, sizeof job.exe, "%s", exe);
                if (why) {
                    char text[PATH_MAX + 128];
                    snprintf(text, sizeof text, "it executed %s, and %s", exe, why);
                    enter_outside_mode(&job, text);
                }
            }
        }
        if (!job.outside && job.shim != IN) {
            if (now >= job.shim_due) {
                enter_outside_mode(&job, job.shim == WAIT_REPORT
                    ? "it did not report in within 1s (a script whose interpreter libguard "
                      "cannot enter, or LD_PRELOAD cleared)"
                    : "the program it runs now was not entered within 1s (LD_PRELOAD "
                      "cleared before it was executed)");
            } else {
                /* Few looks at a tiny file, for a second at most. */
                next = min64(job.shim_due, now + 20 * LG_NS_PER_MS);
            }
        } else if (!job.outside && job.watch_exec) {
            next = min64(next, job.next_exe_check);
        }
        if (job.outside)
            next = min64(next, outside_check(&job, now));
        wait_events(&job, next);
        if (job.stopped && !job.done) {
            job.stopped = false;
            stop_with_command(&job);
        }
    }
    give_terminal(getpgrp());

    struct status st = read_status(job.pid);
    int fired = job.fired ? job.fired : eff.dry_run ? 0 : st.last;
    if (fired)
        clean_up_group(&job, fired);
    cleanup_status_file();

    int ws = job.wstatus;
    int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 1;
    if (eff.verbose) {
        char name[32];
        if (WIFSIGNALED(ws))
            say("the command died from %s", lg_signal_name(WTERMSIG(ws), name, sizeof name));
        else
            say("the command exited with status %d", code);
        if (fired)
            say("the %s guard fired: exit status %d%s", fired == STATUS_TIME ? "time" : "memory",
                flags.preserve_status ? code : fired,
                flags.preserve_status ? " (the command's: --preserve-status)" : "");
    }
    return fired && !flags.preserve_status ? fired : code;
}
