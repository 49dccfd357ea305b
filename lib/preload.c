/* The shim: when libguard.so is loaded (LD_PRELOAD, or linked), read the
 * LIBGUARD_* variables and arm the process guards they ask for, targeting the
 * main thread.  A bad setting stops the program before main (status 125) or,
 * with LIBGUARD_ON_ERROR=warn, lets it run unguarded; loaded by the Python
 * package's import instead, it is the import's exception (package.h).  After
 * fork the child gets its own watchdog and clock.  A program
 * LIBGUARD_ONLY_CMDS or LIBGUARD_SKIP_CMDS leaves out does none of this. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "activity.h"
#include "api.h"
#include "children.h"
#include "clock.h"
#include "cmds.h"
#include "log.h"
#include "memory.h"
#include "options.h"
#include "output.h"
#include "package.h"
#include "python.h"
#include "registry.h"
#include "report.h"
#include "startdata.h"
#include "watchdog.h"

static struct lg_settings settings;
static uint64_t max_bytes; /* the memory limit, resolved */
static bool armed_from_env; /* process guards from LIBGUARD_* settings */

static pid_t current_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* LIBGUARD_CHILDREN=none: take libguard (and only it) out of LD_PRELOAD,
 * and the LIBGUARD_* settings out of the environment, so the programs this
 * one executes run unguarded, even those linked with libguard (the Python
 * package in a multiprocessing spawn child).  LIBGUARD_PYTHON_SIGNAL stays:
 * it arms nothing, and the package imported there reads it (package.h). */
static void unset_settings(char **env)
{
    for (char **e = env; *e;) {
        const char *eq = strchr(*e, '=');
        char name[128];
        size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
        if (strncmp(*e, "LIBGUARD_", 9) != 0 || len >= sizeof name
            || strncmp(*e, "LIBGUARD_PYTHON_SIGNAL=", 23) == 0) {
            e++;
            continue;
        }
        const char *was = *e;
        memcpy(name, *e, len);
        name[len] = '\0';
        unsetenv(name);
        /* unsetenv moved the later entries down over this one, unless `env`
         * is no longer the program's environment (replaced before libguard
         * started): then go on to the next. */
        if (*e == was)
            e++;
    }
}

static void strip_from_preload(void)
{
    const char *preload = getenv("LD_PRELOAD");
    if (!preload)
        return;
    size_t len = strlen(preload);
    char *kept = malloc(len + 1), *copy = strdup(preload);
    if (!kept || !copy) {
        free(kept);
        free(copy);
        return;
    }
    kept[0] = '\0';
    for (char *save, *item = strtok_r(copy, ": \t", &save); item;
         item = strtok_r(NULL, ": \t", &save)) {
        const char *base = strrchr(item, '/');
        base = base ? base + 1 : item;
        if (strncmp(base, "libguard.so", 11) == 0)
            continue;
        if (kept[0])
            strcat(kept, ":");
        strcat(kept, item);
    }
    if (kept[0])
        setenv("LD_PRELOAD", kept, 1);
    else
        unsetenv("LD_PRELOAD");
    free(kept);
    free(copy);
}

static void describe_settings(void)
{
    char a[32], b[32], c[32];
    if (settings.timeout_ns) {
        lg_format_duration(settings.timeout_ns, a, sizeof a);
        lg_format_duration(settings.grace_ns, b, sizeof b);
        lg_log("time guard: %s without progress, then steps %s apart (%s%s)", a, b,
               lg_interrupt_name(settings.interrupt), settings.send_kill ? ", SIGKILL last" : "");
    }
    if (max_bytes) {
        lg_format_size(max_bytes, a, sizeof a);
        lg_format_duration(settings.memory_grace_ns, b, sizeof b);
        lg_format_duration(settings.check_interval_ns, c, sizeof c);
        lg_log("memory guard: %llu bytes (%s) resident, %s grace, sampled at least every %s (%s%s)",
               (unsigned long long)max_bytes, a, b, c, lg_interrupt_name(settings.interrupt),
               settings.send_kill ? ", SIGKILL last" : "");
    }
}

static struct lg_desc process_desc(int kind)
{
    struct lg_desc d = {
        .kind = (uint64_t)kind,
        .tid = (uint64_t)getpid(),
        .thread = current_tid() == getpid() ? (uint64_t)pthread_self() : 0,
        .start_ns = lg_now(),
        .timeout_ns = settings.timeout_ns,
        .grace_ns = kind == LG_KIND_TIME ? settings.grace_ns : settings.memory_grace_ns,
        .secondary_grace_ns = settings.memory_secondary_grace_ns,
        .max_bytes = max_bytes,
        .check_interval_ns = settings.check_interval_ns,
        .interrupt = (uint64_t)settings.interrupt,
        .send_kill = settings.send_kill,
        .dry_run = settings.dry_run,
        .from_env = 1,
        .activity = kind == LG_KIND_TIME && settings.progress != LG_PROGRESS_CALLS,
    };
    return d;
}

/* ---- fork ------------------------------------------------------------- */

static pid_t forking_tid;

static void before_fork(void)
{
    forking_tid = current_tid();
}

/* The forking thread is the child's main thread: its guards, and the
 * process guards of the shim (unless LIBGUARD_CHILDREN=none), follow it
 * with a fresh clock; every other thread's guards ended with the thread. */
static void in_child(void)
{
    lg_api_forget_tid();
    /* No guard was ever armed and no report is due: nothing follows, no
     * watchdog ran.  Most children of a shell, which exec at once. */
    if (atomic_load(&lg_slots_used) == 0 && !lg_settings_given(&settings, LG_OPT_REPORT))
        return;
    lg_watchdog_forget();
    lg_memory_forget();
    if (settings.children == LG_CHILDREN_NONE) {
        /* an unguarded child reports nothing, as an exec'd one would not */
        static struct lg_settings unreported;
        unreported = settings;
        unreported.report_path[0] = '\0';
        lg_report_configure(&unreported, max_bytes);
    } else {
        lg_report_configure(&settings, max_bytes);
    }
    uint32_t used = atomic_load(&lg_slots_used);
    uint64_t now = lg_now();
    bool armed = false;
    for (uint32_t i = 0; i < used; i++) {
        struct lg_guard *g = &lg_slots[i];
        struct lg_desc d;
        uint32_t seq;
        if (!lg_guard_read(g, &d, &seq))
            continue;
        /* LIBGUARD_CHILDREN=none: the environment's guards stay with the
         * process that was started with them (multiprocessing workers wait
         * for work far longer than a task's budget). */
        bool follows = d.from_env ? settings.children == LG_CHILDREN_INHERIT
                                  : (pid_t)d.tid == forking_tid;
        if (follows) {
            d.tid = (uint64_t)getpid();
            d.start_ns = now;
            atomic_store(&g->progress_ns, 0);
            lg_guard_rewrite(g, &d);
            armed = true;
        } else {
            static const struct lg_desc none;
            if (atomic_load(&lg_process_time_guard) == g)
                atomic_store(&lg_process_time_guard, NULL);
            lg_guard_rewrite(g, &none);
            atomic_store(&g->busy, 0);
        }
    }
    if (armed)
        lg_watchdog_poke(now);
}

/* Registered once, by the constructor when it arms or configures anything,
 * else as the program begins its first guard (api.c): not in every process
 * that loads libguard, most of which never fork with a guard. */
static pthread_once_t fork_handler_once = PTHREAD_ONCE_INIT;

static void register_fork_handler(void)
{
    pthread_atfork(before_fork, NULL, in_child);
}

void lg_preload_watch_forks(void)
{
    pthread_once(&fork_handler_once, register_fork_handler);
}

/* ---- for the Python package (package.h) ---------------------------------- */

static int python_signal = SIGURG;

int lg_preload_python_signal(void)
{
    return python_signal;
}

/* A Python library reports through Python's logging, not raw lines on
 * stderr: unless LIBGUARD_LOG asks for them or the shim armed process
 * guards (its log stays as it is). */
bool lg_preload_log_wanted(void)
{
    return lg_settings_given(&settings, LG_OPT_LOG) || armed_from_env;
}

/* ---- start-up --------------------------------------------------------- */

/* A program the selection leaves out arms nothing, starts no thread, writes
 * no report, reports no setting (it would not have been guarded) and leaves
 * the environment as it is, LIBGUARD_CHILDREN=none or not: the settings are
 * for the programs it runs.  It only tells the guard wrapper, which would
 * otherwise take its silence for a program libguard cannot enter.  Guards
 * it begins through the API work as anywhere. */
static const char *only_cmds LG_START_DATA, *skip_cmds LG_START_DATA,
    *status_file LG_START_DATA; /* found by any_setting() */

static bool left_out(const char *argv0)
{
    if (lg_cmds_selects_this_process(only_cmds, skip_cmds, argv0))
        return false;
    /* As secure_getenv() would: none for a set-user-ID program. */
    const char *status = getauxval(AT_SECURE) ? NULL : status_file;
    if (status && *status) {
        lg_status_configure(status);
        lg_status_note(LG_STATUS_SKIPPED);
        lg_status_configure(NULL);
    }
    return true;
}

/* The value of `name` if `var` ("NAME=value") is that variable, else NULL. */
static const char *value_of(const char *var, const char *name)
{
    while (*name && *var == *name)
        var++, name++;
    return *name || *var != '=' ? NULL : var + 1;
}

/* Is there any LIBGUARD_* variable?  One pass over the environment that also
 * finds the selection lists and the guard wrapper's status file, byte by
 * byte rather than with strncmp and getenv: every process that loads
 * libguard asks, and the first call of each libc function costs it a symbol
 * lookup. */
static bool any_setting(char **env)
{
    const char prefix[] = "LIBGUARD_"; /* immediates, not a page of .rodata */
    bool any = false;
    for (char **e = env; e && *e; e++) {
        size_t i = 0;
        while (i < sizeof prefix - 1 && (*e)[i] == prefix[i])
            i++;
        if (i < sizeof prefix - 1)
            continue;
        any = true;
        const char *v;
        if (!only_cmds && (v = value_of(*e + i, "ONLY_CMDS")))
            only_cmds = v; /* the first, as getenv() would */
        else if (!skip_cmds && (v = value_of(*e + i, "SKIP_CMDS")))
            skip_cmds = v;
        else if (!status_file && (v = value_of(*e + i, "STATUS_FILE")))
            status_file = v;
    }
    return any;
}

/* glibc calls a library's constructors with main's arguments (and, for a
 * library dlopen()ed later, the environment at that time): reading them
 * instead of `environ` and `program_invocation_name` spares every process
 * that loads libguard the lookup of those two variables. */
__attribute__((constructor)) static void libguard_init(int argc, char **argv, char **env)
{
    const char *argv0 = argc > 0 && argv ? argv[0] : NULL;
    if (!any_setting(env) || left_out(argv0))
        return; /* nothing of the environment's to arm or check */

    char errors[4096];
    lg_settings_defaults_zeroed(&settings); /* static: zero, its paths untouched */
    int problems = lg_settings_from_env(&settings, env, errors, sizeof errors);

    if (lg_settings_given(&settings, LG_OPT_MAX_MEMORY)) {
        const char *why = lg_memory_resolve(&settings.max_memory, &max_bytes);
        if (why) {
            size_t used = strlen(errors);
            snprintf(errors + used, sizeof errors - used,
                     "libguard: LIBGUARD_MAX_MEMORY %s\n", why);
            problems++;
        }
    }
    if (settings.log == LG_LOG_FILE && settings.log_path[0] != '/') {
        /* Relative to where the program started, wherever it goes later. */
        char cwd[LG_PATH_MAX];
        size_t a = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0, b = strlen(settings.log_path);
        if (a && a + 1 + b < LG_PATH_MAX) {
            memmove(settings.log_path + a + 1, settings.log_path, b + 1);
            memcpy(settings.log_path, cwd, a);
            settings.log_path[a] = '/';
        }
    }

    /* A log or report that cannot be written is a bad setting too: found
     * now, not when every line of a guard that fired is lost. */
    problems += lg_output_check_paths(&settings, errors, sizeof errors);
    /* A bad setting leaves every signal to the program, as unguarded. */
    python_signal = problems ? 0 : settings.python_signal;

    if (problems && lg_package_keep_problems(errors, settings.on_error == LG_ON_ERROR_WARN))
        return; /* loaded by the package's import: it raises them, unguarded */
    if (problems) {
        /* Always on stderr: LIBGUARD_LOG may be the bad setting. */
        lg_output_stderr(errors, strlen(errors));
        if (settings.on_error == LG_ON_ERROR_EXIT) {
            static const char stop[] = "libguard: not starting the program "
                "(LIBGUARD_ON_ERROR=exit; set LIBGUARD_ON_ERROR=warn to run it unguarded)\n";
            lg_output_stderr(stop, sizeof stop - 1);
            _exit(125);
        }
        static const char warn[] = "libguard: running the program unguarded (LIBGUARD_ON_ERROR=warn)\n";
        lg_output_stderr(warn, sizeof warn - 1);
        return;
    }

    lg_log_configure(settings.log, settings.log == LG_LOG_FILE ? settings.log_path : NULL);
    lg_status_configure(lg_settings_given(&settings, LG_OPT_STATUS_FILE) ? settings.status_path
                                                                         : NULL);
    lg_activity_configure(settings.progress,
                          settings.progress == LG_PROGRESS_FILE ? settings.progress_path : NULL);
    lg_children_configure(settings.children == LG_CHILDREN_INHERIT);
    lg_status_note(LG_STATUS_STARTED); /* the guard wrapper's handshake: libguard got in */
    if (settings.children == LG_CHILDREN_NONE) {
        strip_from_preload();
        unset_settings(env);
    }
    lg_preload_watch_forks();
    if (settings.verbose || settings.log == LG_LOG_FILE)
        describe_settings();
    lg_report_configure(&settings, max_bytes);

    /* Before arming: a step must find the CPython route in place. */
    armed_from_env = settings.timeout_ns || max_bytes;
    if (armed_from_env)
        lg_python_setup(settings.python_signal);
    if (settings.timeout_ns) {
        struct lg_desc d = process_desc(LG_KIND_TIME);
        struct lg_guard *g = lg_guard_arm(&d);
        /* Progress from any thread reaches it, unless that thread has its own. */
        atomic_store(&lg_process_time_guard, g);
    }
    if (max_bytes) {
        struct lg_desc d = process_desc(LG_KIND_MEMORY);
        lg_guard_arm(&d);
    }
}
