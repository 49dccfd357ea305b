/* The settings that are paths and program lists, the rows with no family
 * of their own, and whole environments: every line lg_settings_from_env
 * writes and every contradiction it refuses (a TAP program, run by make
 * check).  The spellings of values are options-unit's. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options-check.h"

/* ---- paths, progress, program names ---------------------------------------- */

static void paths(void)
{
    struct lg_settings s;
    result(!set(&s, "LIBGUARD_LOG", "stderr") && s.log == LG_LOG_STDERR, "LIBGUARD_LOG=stderr");
    result(!set(&s, "LIBGUARD_LOG", "none") && s.log == LG_LOG_NONE, "LIBGUARD_LOG=none");
    result(!set(&s, "LIBGUARD_LOG", "./guard.log") && s.log == LG_LOG_FILE
           && !strcmp(s.log_path, "./guard.log"), "LIBGUARD_LOG=./guard.log is a file");
    result(!set(&s, "LIBGUARD_LOG", "/tmp/x.log") && s.log == LG_LOG_FILE
           && !strcmp(s.log_path, "/tmp/x.log"), "LIBGUARD_LOG=/tmp/x.log is a file");
    static const char *const not_logs[] = { "stdout", "guard.log", "STDERR", "None", "-" };
    for (size_t i = 0; i < sizeof not_logs / sizeof *not_logs; i++)
        refuses("LIBGUARD_LOG", not_logs[i],
                "is not stderr, none or a file path (a path has a '/', e.g. ./guard.log)");
    refuses("LIBGUARD_LOG", "", "is empty: unset it or give a value");

    result(!set(&s, "LIBGUARD_PROGRESS", "io") && s.progress == LG_PROGRESS_IO,
           "LIBGUARD_PROGRESS=io");
    result(!set(&s, "LIBGUARD_PROGRESS", "output") && s.progress == LG_PROGRESS_OUTPUT,
           "LIBGUARD_PROGRESS=output");
    result(!set(&s, "LIBGUARD_PROGRESS", "file:/tmp/beat") && s.progress == LG_PROGRESS_FILE
           && !strcmp(s.progress_path, "/tmp/beat"), "LIBGUARD_PROGRESS=file:/tmp/beat");
    static const char *const not_progress[] = { "IO", "Output", "calls", "file", "files:/x" };
    for (size_t i = 0; i < sizeof not_progress / sizeof *not_progress; i++)
        refuses("LIBGUARD_PROGRESS", not_progress[i], "is not valid (valid: io, output, file:PATH)");

    result(!set(&s, "LIBGUARD_REPORT", "/tmp/r.json") && !strcmp(s.report_path, "/tmp/r.json"),
           "LIBGUARD_REPORT=/tmp/r.json");
    result(!set(&s, "LIBGUARD_STATUS_FILE", "/tmp/st") && !strcmp(s.status_path, "/tmp/st"),
           "LIBGUARD_STATUS_FILE=/tmp/st");
    result(!set(&s, "LIBGUARD_REPORT", "report.jsonl") && !strcmp(s.report_path, "report.jsonl"),
           "LIBGUARD_REPORT=report.jsonl, in the current directory");
    static const char *const streams[] = { "stderr", "stdout", "none" };
    for (size_t i = 0; i < sizeof streams / sizeof *streams; i++)
        refuses("LIBGUARD_REPORT", streams[i], "is a file path here, not a stream (write "
                "/dev/stderr for the standard error, ./NAME for a file of that name)");
    static char long_path[LG_PATH_MAX + 8], long_file[LG_PATH_MAX + 16];
    memset(long_path, 'a', LG_PATH_MAX);
    long_path[0] = '/';
    snprintf(long_file, sizeof long_file, "file:%s", long_path);
    refuses("LIBGUARD_REPORT", long_path, "is too long for a file path");
    refuses("LIBGUARD_LOG", long_path, "is too long for a file path");
    refuses("LIBGUARD_PROGRESS", long_file, "is too long for a file path");
    long_path[LG_PATH_MAX - 1] = '\0';
    result(!set(&s, "LIBGUARD_REPORT", long_path) && strlen(s.report_path) == LG_PATH_MAX - 1,
           "a path of %d bytes fits", LG_PATH_MAX - 1);
}

static void program_names(void)
{
    struct lg_settings s;
    static const char *const fine[] = { "python3", "python3*,job.sh", "a,b,c", "[ab]*", "?" };
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++)
        result(!set(&s, "LIBGUARD_ONLY_CMDS", fine[i]) && !strcmp(s.only_cmds, fine[i]),
               "LIBGUARD_ONLY_CMDS=%s", fine[i]);
    result(!set(&s, "LIBGUARD_SKIP_CMDS", "sh,bash") && !strcmp(s.skip_cmds, "sh,bash"),
           "LIBGUARD_SKIP_CMDS=sh,bash");
    static const char *const empty_names[] = { ",a", "a,", "a,,b", "," };
    for (size_t i = 0; i < sizeof empty_names / sizeof *empty_names; i++)
        refuses("LIBGUARD_ONLY_CMDS", empty_names[i],
                "has an empty name: names are separated by single commas (example: python3*,job.sh)");
    static const char *const blanks[] = { " a", "a ", "a, b", "a ,b", "\ta", "lo op", "a,b\tc" };
    for (size_t i = 0; i < sizeof blanks / sizeof *blanks; i++)
        refuses("LIBGUARD_SKIP_CMDS", blanks[i], "has a blank in or around a name");
    refuses("LIBGUARD_ONLY_CMDS", "/usr/bin/python3",
            "names a path ('/usr/bin/python3'): give the program's name, what follows the last '/'");
    refuses("LIBGUARD_ONLY_CMDS", "a,bin/sh", "names a path ('bin/sh')");
    static char too_long[LG_CMDS_MAX + 1];
    memset(too_long, 'x', LG_CMDS_MAX);
    refuses("LIBGUARD_ONLY_CMDS", too_long, "is too long (at most 1023 bytes)");
    too_long[LG_CMDS_MAX - 1] = '\0';
    result(!set(&s, "LIBGUARD_ONLY_CMDS", too_long), "a list of %d bytes fits", LG_CMDS_MAX - 1);
    refuses("LIBGUARD_ONLY_CMDS", "", "is empty: unset it or give a value");
}

/* Every duration row, and the setting that is no row. */
static void other_rows(void)
{
    accepts_duration("LIBGUARD_GRACE_PERIOD", "2.5s", 2500 * MS);
    struct lg_settings s;
    result(!set(&s, "LIBGUARD_MEMORY_GRACE_PERIOD", "0") && s.memory_grace_ns == 0,
           "LIBGUARD_MEMORY_GRACE_PERIOD=0");
    result(!set(&s, "LIBGUARD_MEMORY_GRACE_PERIOD", "300ms") && s.memory_grace_ns == 300 * MS,
           "LIBGUARD_MEMORY_GRACE_PERIOD=300ms");
    result(!set(&s, "LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD", "2") &&
           s.memory_secondary_grace_ns == 2 * S, "LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD=2");
    accepts_duration("LIBGUARD_CHECK_INTERVAL", "1ms", MS);
    accepts_duration("LIBGUARD_CHECK_INTERVAL", "1", MS);
    refuses("LIBGUARD_MEMORY_GRACE_PERIOD", "1X", "is not a duration");
    refuses("LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD", "-5", "is not a duration");
    refuses("LIBGUARD_GRACE_PERIOD", "367d", "is more than the maximum of 366 days");
    refuses("LIBGUARD_VERBOSE", "sure", "is not a boolean");
    refuses("LIBGUARD_DRY_RUN", "", "is empty");
    char why[128];
    lg_settings_defaults(&s);
    const char *problem = lg_settings_set(&s, "LIBGUARD_TIMOUT", "3", why, sizeof why);
    result(problem && !strcmp(problem, "is not a libguard setting"),
           "LIBGUARD_TIMOUT through lg_settings_set is not a setting");
    problem = lg_settings_set(&s, "TIMEOUT", "3", why, sizeof why);
    result(problem && !strcmp(problem, "is not a libguard setting"), "TIMEOUT is not a setting");
    result(lg_option_known("LIBGUARD_ONLY_CMDS") && !lg_option_known("LIBGUARD_ONLY_CMD"),
           "lg_option_known knows the table's names only");
}

/* One environment, one expected line (or none). */
static void env_line(char **env, const char *expected)
{
    struct lg_settings s;
    char errors[4096];
    lg_settings_defaults(&s);
    int n = lg_settings_from_env(&s, env, errors, sizeof errors);
    bool ok = expected ? n == 1 && strstr(errors, expected) != NULL : n == 0;
    result(ok, "%s%s: %s (got %d: %.*s)", env[0], env[1] ? " ..." : "",
           expected ? expected : "no problem", n, (int)strcspn(errors, "\n"), errors);
}

/* `setting` alone is refused with "... `problem`" naming it; with each of
 * `enough` beside it, accepted. */
static void needs(const char *setting, const char *problem, const char *const *enough, size_t n)
{
    char *env[3] = { (char *)setting, NULL, NULL };
    char line[200];
    snprintf(line, sizeof line, "libguard: %.*s %s", (int)strcspn(setting, "="), setting, problem);
    env_line(env, line);
    for (size_t i = 0; i < n; i++) {
        env[1] = (char *)enough[i];
        env_line(env, NULL);
    }
}

static void contradictions(void)
{
    static const char *const timeout[] = { "LIBGUARD_TIMEOUT=5" };
    static const char *const memory[] = { "LIBGUARD_MAX_MEMORY=1G" };
    static const char *const either[] = { "LIBGUARD_TIMEOUT=5", "LIBGUARD_MAX_MEMORY=1G" };
    /* A path read from the environment must also be in the real one (a
     * setuid program's is not trusted): LIBGUARD_PROGRESS is set there. */
    static const char *const need_time[] = { "LIBGUARD_GRACE_PERIOD=1", "LIBGUARD_PROGRESS=io" };
    setenv("LIBGUARD_PROGRESS", "io", 1);
    for (size_t i = 0; i < 2; i++)
        needs(need_time[i], "has no effect without LIBGUARD_TIMEOUT: set both or neither", timeout, 1);
    unsetenv("LIBGUARD_PROGRESS");
    static const char *const need_memory[] = {
        "LIBGUARD_MEMORY_GRACE_PERIOD=1", "LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD=1",
        "LIBGUARD_CHECK_INTERVAL=100",
    };
    for (size_t i = 0; i < 3; i++)
        needs(need_memory[i], "has no effect without LIBGUARD_MAX_MEMORY: set both or neither",
              memory, 1);
    static const char *const need_any[] = {
        "LIBGUARD_INTERRUPT=signal", "LIBGUARD_SEND_KILL=1", "LIBGUARD_DRY_RUN=1",
        "LIBGUARD_ONLY_CMDS=a", "LIBGUARD_SKIP_CMDS=a",
    };
    for (size_t i = 0; i < 5; i++)
        needs(need_any[i], "is set but no guard is: set LIBGUARD_TIMEOUT or LIBGUARD_MAX_MEMORY too",
              either, 2);
    char *kill_exception[] = { "LIBGUARD_TIMEOUT=5", "LIBGUARD_SEND_KILL=1",
                               "LIBGUARD_INTERRUPT=exception", NULL };
    env_line(kill_exception, "libguard: LIBGUARD_SEND_KILL=1 has no effect with "
             "LIBGUARD_INTERRUPT=exception (it sends no signal): use signal or exception_then_signal");
    char *kill_off[] = { "LIBGUARD_TIMEOUT=5", "LIBGUARD_SEND_KILL=0",
                         "LIBGUARD_INTERRUPT=exception", NULL };
    env_line(kill_off, NULL);

    struct lg_settings s;
    char errors[256];
    char *tiny[] = { "LIBGUARD_MAX_MEMORY=1G", "LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD=0", NULL };
    lg_settings_defaults(&s);
    result(lg_settings_from_env(&s, tiny, errors, sizeof errors) == 0
           && s.memory_secondary_grace_ns == 10 * MS,
           "a secondary grace period under 10ms is taken as 10ms (got %llu ns)",
           (unsigned long long)s.memory_secondary_grace_ns);

    /* More problems than the buffer holds: whole lines, then how many more. */
    char *many[] = { "LIBGUARD_TIMEOUT=a", "LIBGUARD_GRACE_PERIOD=b", "LIBGUARD_MAX_MEMORY=c",
                     "LIBGUARD_SEND_KILL=d", "LIBGUARD_DRY_RUN=e", NULL };
    lg_settings_defaults(&s);
    int n = lg_settings_from_env(&s, many, errors, sizeof errors);
    result(n == 5 && strstr(errors, "more problems\n") && errors[strlen(errors) - 1] == '\n',
           "five problems in 256 bytes: whole lines, then \"and N more problems\" (%d)", n);
    char *not_ours[] = { "PATH=/bin", "LIBGUARD", "LIBGUARDTIMEOUT=1", NULL };
    lg_settings_defaults(&s);
    n = lg_settings_from_env(&s, not_ours, errors, sizeof errors);
    result(n == 0, "PATH, LIBGUARD and LIBGUARDTIMEOUT are not libguard's: ignored (got %d)", n);
}

/* ---- the environment: whole lines -------------------------------------- */

static void environment(void)
{
    struct lg_settings s;
    char errors[4096];
    char *bad[] = {
        "LIBGUARD_TIMEOUT=abc", "LIBGUARD_TIMOUT=3", "LIBGUARD_XYZZY_PLUGH=1",
        "LIBGUARD_MAX_MEMORY=%", "PATH=/bin", "LIBGUARD_PYTHON_SIGNAL=9", NULL,
    };
    lg_settings_defaults(&s);
    int n = lg_settings_from_env(&s, bad, errors, sizeof errors);
    result(n == 5, "five problems counted (got %d)", n);
    static const char *const lines[] = {
        "libguard: LIBGUARD_TIMEOUT='abc' is not a duration (examples: 30, 1.5s, 250ms, 2m, 1h, 1d)\n",
        "libguard: LIBGUARD_TIMOUT is not a libguard setting (did you mean LIBGUARD_TIMEOUT?)\n",
        "libguard: LIBGUARD_XYZZY_PLUGH is not a libguard setting (see libguard(7) for the list)\n",
        "libguard: LIBGUARD_MAX_MEMORY='%' has no number before the % (examples: 50%, 12.5%)\n",
        "libguard: LIBGUARD_PYTHON_SIGNAL='9' is not a signal libguard can use: SIGKILL cannot "
        "be caught (examples: SIGURG, SIGWINCH, SIGRTMIN+2)\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        result(strstr(errors, lines[i]) != NULL, "the environment's line: %.*s", (int)strlen(lines[i]) - 1, lines[i]);

    char *good[] = {
        "LIBGUARD_TIMEOUT=1d", "LIBGUARD_MAX_MEMORY=2gb", "LIBGUARD_PYTHON_SIGNAL=23",
        "LIBGUARD_INTERRUPT=Signal", "LIBGUARD_SEND_KILL=Yes", NULL,
    };
    lg_settings_defaults(&s);
    n = lg_settings_from_env(&s, good, errors, sizeof errors);
    result(n == 0 && s.timeout_ns == DAY && s.max_memory.bytes == 2ull << 30
           && s.python_signal == SIGURG && s.interrupt == LG_INTERRUPT_SIGNAL && s.send_kill,
           "1d, 2gb, 23, Signal and Yes from the environment (%d problems: %s)", n, errors);

    char *contradiction[] = { "LIBGUARD_GRACE_PERIOD=1", NULL };
    lg_settings_defaults(&s);
    n = lg_settings_from_env(&s, contradiction, errors, sizeof errors);
    result(n == 1 && strstr(errors, "libguard: LIBGUARD_GRACE_PERIOD has no effect without "
                            "LIBGUARD_TIMEOUT: set both or neither\n"),
           "a grace period without a timeout is a contradiction");

    char *quoted[] = { "LIBGUARD_TIMEOUT=\xff\x1b[31m", NULL };
    lg_settings_defaults(&s);
    lg_settings_from_env(&s, quoted, errors, sizeof errors);
    result(strstr(errors, "LIBGUARD_TIMEOUT='\\xff\\x1b[31m' is not a duration") != NULL,
           "control and non-ASCII bytes are quoted");
}

int main(void)
{
    paths();
    program_names();
    other_rows();
    environment();
    contradictions();
    return tap_done();
}
