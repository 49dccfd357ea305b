/* What the parts of the guard command share: its exit statuses, the job it
 * supervises, the effective settings, and how it speaks.
 *
 *   guard.c      main: the order of things
 *   flags.c      the command line, through the library's option table
 *   setup.c      the command's environment: the library, the status file,
 *                the settings checked the way the shim will check them
 *   command.c    what the command is: where it is, whether the shim can
 *                enter it, which program a process runs now
 *   supervise.c  running it: signals forwarded, the terminal, reaping, the
 *                clean-up of its process group
 *   handshake.c  is the shim in?  Its report, and each program executed
 *   outside.c    outside mode: the ladder run from guard, by signals
 *   messages.c   guard's own lines and the log's
 */
#ifndef GUARD_GUARD_H
#define GUARD_GUARD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"
#include "escalation.h"
#include "flags.h"
#include "options.h"

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
/* How often guard looks whether the command executed another program. */
#define EXEC_CHECK_NS (500 * LG_NS_PER_MS)

/* The effective settings: the flags over the environment (setup.c). */
extern struct lg_settings eff;
/* The private status file (setup.c), removed at exit. */
extern char status_path[PATH_MAX];

struct job {
    pid_t pid;                /* the command; also its process group */
    uint64_t start_ns;        /* when it (or the program it runs now) started */
    bool done;
    int wstatus;
    bool stopped;             /* stopped from the terminal (Ctrl-Z) */
    uint64_t stopped_ns;      /* not on a terminal: stopped since, 0: running */
    /* Is the shim in?  First the "started PID" report; then, for each
     * program the command executes, libguard in /proc/PID/maps. */
    enum { IN, WAIT_REPORT, WAIT_MAPPED } shim;
    uint64_t shim_due;        /* WAIT_*: outside mode if not in by then */
    bool watch_exec;
    char exe[PATH_MAX];       /* the program the shim is known to be in */
    uint64_t next_exe_check;
    /* outside mode */
    bool outside;
    uint64_t max_bytes;       /* the memory limit, 0: no memory guard */
    struct lg_ladder_clock time, memory;
    uint64_t next_sample_ns;
    int fired;                /* outside mode: STATUS_TIME or STATUS_MEMORY */
};

static inline uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* messages.c: say() writes "guard: ..." on stderr; fail() too, then exits
 * with STATUS_FAILED; note() is a step or an outside-mode notice, written
 * where LIBGUARD_LOG says, like the shim's lines. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cleanup_status_file(void);
/* guard ignores SIGPIPE (its writes fail quietly); the command is started
 * with SIGPIPE as guard found it. */
void messages_ignore_sigpipe(void);
void messages_restore_sigpipe(void);

/* setup.c: the absolute path of the library to preload (GUARD_LIBRARY, or
 * the variable of that name); the status file; the command's environment,
 * checked (exits with STATUS_FAILED on a problem).  Returns the memory
 * limit in bytes, 0 without a memory guard. */
const char *setup_library(void);
void setup_status_file(void);
uint64_t setup_environment(const struct guard_flags *flags, const char *library);
void print_settings(const char *command_path, const char *library, bool inside);

/* command.c */
bool resolve_command(const char *name, char *path, size_t size);
const char *shim_cannot_enter(const char *path);
bool command_selected(const char *argv0, const char *path);
void read_exe(pid_t pid, char *buf, size_t size);
int library_mapped(pid_t pid);

/* supervise.c: signals and terminal first, then start the command (returns
 * 0, or the exit status when it could not be run, said already); wait for
 * events; the clean-up after a step; the exit status. */
void supervise_prepare(void);
int supervise_start(struct job *job, char **command);
void wait_events(struct job *job, uint64_t deadline);
void send_terminating(pid_t target, int signo);
int supervise_finish(struct job *job, const struct guard_flags *flags);

/* handshake.c: the shim's state at the start, then one look (returns when
 * to look again, UINT64_MAX: no need). */
void handshake_begin(struct job *job, const char *cannot_enter, bool left_out,
                     const char *command_path);
uint64_t handshake_check(struct job *job, uint64_t now);

/* outside.c */
void enter_outside_mode(struct job *job, const char *why);
uint64_t outside_check(struct job *job, uint64_t now);

#endif
