/* The command's environment, before it starts: the library to preload, the
 * private status file, and every LIBGUARD_* setting the command will see
 * (the flags over what is inherited), checked the way the shim will check
 * them: one parser, one set of rules, so a bad value or a contradiction
 * stops guard (status 125) before the command starts. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "memsize.h"

#ifndef GUARD_LIBRARY
#define GUARD_LIBRARY "libguard.so.0"
#endif
/* Overrides GUARD_LIBRARY, e.g. to run from the build tree.  Not a LIBGUARD_*
 * name: the shim rejects unknown ones. */
#define LIBRARY_VARIABLE "GUARD_LIBRARY"

extern char **environ;

struct lg_settings eff;
char status_path[PATH_MAX];

const char *setup_library(void)
{
    static char library_path[2 * PATH_MAX + 2];
    const char *library = getenv(LIBRARY_VARIABLE);
    if (!library || !*library)
        library = GUARD_LIBRARY;
    /* Absolute (the command may change directory before it execs another
     * program), but not resolved: the installed name is the soname link. */
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
    return library_path;
}

void setup_status_file(void)
{
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
}

/* The library first in LD_PRELOAD, unless it is there already. */
static void preload(const char *library)
{
    const char *preload = getenv("LD_PRELOAD");
    bool present = false;
    if (preload) {
        char *copy = strdup(preload);
        for (char *save, *item = copy ? strtok_r(copy, ": \t", &save) : NULL; item;
             item = strtok_r(NULL, ": \t", &save))
            if (strcmp(item, library) == 0)
                present = true;
        free(copy);
    }
    if (!present) {
        size_t len = strlen(library) + (preload ? strlen(preload) : 0) + 2;
        char *value = malloc(len);
        if (!value)
            fail("out of memory");
        snprintf(value, len, "%s%s%s", library, preload && *preload ? ":" : "",
                 preload ? preload : "");
        setenv("LD_PRELOAD", value, 1);
        free(value);
    }
}

uint64_t setup_environment(const struct guard_flags *flags, const char *library)
{
    bool inherited[LG_OPT_COUNT];
    for (int row = 0; row < LG_OPT_COUNT; row++)
        inherited[row] = getenv(lg_option_variable(row)) != NULL;
    for (int row = 0; row < LG_OPT_COUNT; row++)
        if (flags->given[row] && setenv(lg_option_variable(row), flags->given[row], 1) != 0)
            fail("cannot set %s (%s)", lg_option_variable(row), strerror(errno));
    setenv("LIBGUARD_STATUS_FILE", status_path, 1);
    preload(library);
    /* -k DURATION spaces the time guard's steps (the memory guard's keep
     * their own): without a time guard only --kill means something. */
    if (flags->kill_after && !getenv(lg_option_variable(LG_OPT_TIMEOUT)))
        fail("%s %s puts SIGKILL that long after the time guard's first step, and there "
             "is no time guard: give -t too, or --kill (-k without a duration) to end "
             "the memory guard with SIGKILL", flags->kill_after_as, flags->kill_after);

    /* Validate it the way the shim will: one parser, one set of rules. */
    char errors[4096];
    lg_settings_defaults(&eff);
    int problems = lg_settings_from_env(&eff, environ, errors, sizeof errors);
    if (problems) {
        for (char *save, *line = strtok_r(errors, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            char text[1024];
            snprintf(text, sizeof text, "%s", line);
            guard_flags_translate(text, sizeof text, flags, inherited);
            say("%s", text);
        }
        cleanup_status_file();
        exit(STATUS_FAILED);
    }
    if (!(eff.set & ((1u << LG_OPT_TIMEOUT) | (1u << LG_OPT_MAX_MEMORY))))
        fail("nothing to guard: give -t/--timeout and/or -m/--max-memory");
    uint64_t max_bytes = 0;
    if (eff.set & (1u << LG_OPT_MAX_MEMORY)) {
        if (lg_memory_resolve(&eff.max_memory, &max_bytes) || !max_bytes)
            fail("%s is a share, but neither a cgroup limit nor MemTotal can be read",
                 flags->by_flag[LG_OPT_MAX_MEMORY] ? "--max-memory" : "LIBGUARD_MAX_MEMORY");
    }
    if (eff.log == LG_LOG_FILE && eff.log_path[0] != '/') {
        char cwd[PATH_MAX], joined[LG_PATH_MAX];
        if (getcwd(cwd, sizeof cwd)
            && (size_t)snprintf(joined, sizeof joined, "%s/%s", cwd, eff.log_path) < sizeof joined)
            memcpy(eff.log_path, joined, sizeof joined);
    }
    return max_bytes;
}

/* guard -v: what will be done. */
void print_settings(const char *command_path, const char *library, bool inside)
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
        uint64_t bytes = 0;
        lg_memory_resolve(&eff.max_memory, &bytes);
        lg_format_size(bytes, a, sizeof a);
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
