/* Running the command: in its own process group, which gets the terminal's
 * foreground when guard has it (Ctrl-Z stops guard with it); INT, TERM,
 * HUP, QUIT, USR1 and USR2 sent to guard are forwarded to that group (the
 * terminating ones followed by SIGCONT; off a terminal, a command stopped
 * longer than the time limit is continued); guard is a child subreaper and
 * reaps the job's orphans.  When the command ends after a guard step, the
 * job is over: what is left of its process group gets the last step, then
 * SIGKILL after the grace period, so no orphan outlives the job. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "status.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define N_FORWARDED (sizeof forwarded / sizeof forwarded[0])

static int sigfd = -1;
static sigset_t original_mask;
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

/* A terminating signal to the command or its group, then SIGCONT, as
 * timeout(1) does: a stopped process acts on neither the signal nor, its
 * watchdog being stopped with it, its own ladder. */
void send_terminating(pid_t target, int signo)
{
    kill(target, signo);
    if (signo != SIGKILL && signo != SIGCONT && signo != SIGUSR1 && signo != SIGUSR2)
        kill(target, SIGCONT);
}

static void reap(struct job *job)
{
    for (;;) {
        int ws;
        pid_t pid = waitpid(-1, &ws, WNOHANG | WUNTRACED | WCONTINUED);
        if (pid <= 0)
            return;
        if (pid == job->pid && WIFSTOPPED(ws)) {
            if (tty_fd >= 0)
                job->stopped = true;
            else if (!job->stopped_ns)
                job->stopped_ns = lg_now();
        } else if (pid == job->pid && WIFCONTINUED(ws)) {
            job->stopped_ns = 0;
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
            send_terminating(-job->pid, signo);
        }
    }
    reap(job);
}

/* Not on a terminal, no shell will continue a stopped command: once it has
 * been stopped longer than the time limit, continue it, so that the ladder
 * of its watchdog (overdue by then) runs.  A dry run only logs steps: it
 * leaves a stopped command stopped. */
static uint64_t stop_due(const struct job *job)
{
    return job->stopped_ns && eff.timeout_ns && !job->done && !eff.dry_run
        ? job->stopped_ns + eff.timeout_ns : UINT64_MAX;
}

static void continue_stopped(struct job *job)
{
    char limit[32];
    lg_format_duration(eff.timeout_ns, limit, sizeof limit);
    note("process %d has been stopped for longer than the time limit (%s): "
         "SIGCONT to its process group", (int)job->pid, limit);
    job->stopped_ns = 0; /* a new stop starts a new wait */
    kill(-job->pid, SIGCONT);
}

void wait_events(struct job *job, uint64_t deadline)
{
    struct pollfd p = { .fd = sigfd, .events = POLLIN };
    struct timespec ts, *tsp = NULL;
    deadline = min64(deadline, stop_due(job));
    if (deadline != UINT64_MAX) {
        uint64_t now = lg_now(), left = deadline > now ? deadline - now : 0;
        ts.tv_sec = (time_t)(left / LG_NS_PER_S);
        ts.tv_nsec = (long)(left % LG_NS_PER_S);
        tsp = &ts;
    }
    if (ppoll(&p, 1, tsp, NULL) > 0)
        handle_signals(job);
    if (job->stopped && !job->done) {
        job->stopped = false;
        stop_with_command(job);
    }
    if (lg_now() >= stop_due(job))
        continue_stopped(job);
}

void supervise_prepare(void)
{
    /* Signals: forwarded ones (unless ignored when guard started, as a shell
     * does for background jobs: then guard ignores them too) and SIGCHLD
     * arrive on a descriptor. */
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    for (size_t i = 0; i < N_FORWARDED; i++) {
        struct sigaction old;
        sigaction(forwarded[i], NULL, &old);
        if (old.sa_handler != SIG_IGN)
            sigaddset(&blocked, forwarded[i]);
    }
    sigprocmask(SIG_BLOCK, &blocked, &original_mask);
    sigfd = signalfd(-1, &blocked, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0)
        fail("cannot create a signal descriptor (%s)", strerror(errno));
    /* Orphans of the job come back to guard, which reaps them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
        tty_fd = STDIN_FILENO;
}

int supervise_start(struct job *job, char **command)
{
    /* The child tells a failed exec through a pipe closed on exec. */
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        fail("cannot create a pipe (%s)", strerror(errno));
    fflush(NULL);
    job->start_ns = lg_now();
    job->pid = fork();
    if (job->pid < 0)
        fail("cannot fork (%s)", strerror(errno));
    if (job->pid == 0) {
        close(pipefd[0]);
        setpgid(0, 0);
        give_terminal(getpid());
        /* Its own process group is out of the terminal's reach: what a shell
         * ignores for a background job (INT, QUIT) is safe to reset, and the
         * ladder needs SIGINT to arrive. */
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        messages_restore_sigpipe();
        sigprocmask(SIG_SETMASK, &original_mask, NULL);
        execvp(command[0], command);
        int err = errno;
        ssize_t unused = write(pipefd[1], &err, sizeof err);
        (void)unused;
        _exit(err == ENOENT ? STATUS_NOT_FOUND : STATUS_CANNOT_RUN);
    }
    setpgid(job->pid, job->pid); /* whichever of the two runs first */
    give_terminal(job->pid);
    close(pipefd[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(pipefd[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
        ;
    close(pipefd[0]);
    if (got != (ssize_t)sizeof exec_errno)
        return 0;
    char shown[256];
    give_terminal(getpgrp());
    say("cannot run '%s': %s", lg_quote(command[0], shown, sizeof shown), strerror(exec_errno));
    while (waitpid(job->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    cleanup_status_file();
    return exec_errno == ENOENT ? STATUS_NOT_FOUND : STATUS_CANNOT_RUN;
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
    send_terminating(-job->pid, signo);
    const struct lg_ladder_times times = fired == STATUS_MEMORY
        ? (struct lg_ladder_times){ eff.memory_grace_ns, eff.memory_secondary_grace_ns }
        : (struct lg_ladder_times){ eff.timeout_ns, eff.grace_ns };
    uint64_t deadline = lg_now() + lg_clock_kill_after(&times, signo == SIGKILL);
    /* Members whose parent is gone are guard's to reap (subreaper); the group
     * is empty when kill(-pgid, 0) fails.  No event says so for the others:
     * look every 50ms. */
    while (kill(-job->pid, 0) == 0) {
        uint64_t now = lg_now();
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

int supervise_finish(struct job *job, const struct guard_flags *flags)
{
    give_terminal(getpgrp());
    struct lg_status st = lg_status_read(status_path, job->pid);
    int shim_fired = st.last == LG_STATUS_TIME ? STATUS_TIME
                   : st.last == LG_STATUS_MEMORY ? STATUS_MEMORY : 0;
    int fired = job->fired ? job->fired : eff.dry_run ? 0 : shim_fired;
    if (fired)
        clean_up_group(job, fired);
    cleanup_status_file();

    int ws = job->wstatus;
    int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 1;
    if (eff.verbose) {
        char name[32];
        if (WIFSIGNALED(ws))
            say("the command died from %s", lg_signal_name(WTERMSIG(ws), name, sizeof name));
        else
            say("the command exited with status %d", code);
        if (fired)
            say("the %s guard fired: exit status %d%s", fired == STATUS_TIME ? "time" : "memory",
                flags->preserve_status ? code : fired,
                flags->preserve_status ? " (the command's: --preserve-status)" : "");
    }
    return fired && !flags->preserve_status ? fired : code;
}
