/* The option parser, spelling by spelling (a TAP program, run by make check).
 *
 * Every accepted spelling of a duration, size, boolean, choice and signal
 * with the value it gives, and every refused one with the words of its
 * message, through the same entry points the library and guard use
 * (lg_settings_set, lg_settings_from_env) and the parsers themselves; and
 * every contradiction between settings that the environment is refused for. */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#include "tap.h"

/* NAME=VALUE through the table, as guard's flags are: the problem or NULL. */
static const char *set(struct lg_settings *s, const char *name, const char *value)
{
    static char why[512];
    memset(s, 0, sizeof *s); /* defaults set fields, not every byte: compare like with like */
    lg_settings_defaults(s);
    return lg_settings_set(s, name, value, why, sizeof why);
}

/* ---- accepted: the value each spelling gives ------------------------------ */

#define S LG_NS_PER_S
#define MS LG_NS_PER_MS
#define DAY (24 * 3600 * S)

static void accepts_duration(const char *name, const char *text, uint64_t ns)
{
    struct lg_settings s;
    const char *problem = set(&s, name, text);
    uint64_t got = !strcmp(name, "LIBGUARD_TIMEOUT") ? s.timeout_ns
                 : !strcmp(name, "LIBGUARD_CHECK_INTERVAL") ? s.check_interval_ns
                 : s.grace_ns;
    result(!problem && got == ns, "%s=%s is %llu ns (got %llu, %s)", name, text,
           (unsigned long long)ns, (unsigned long long)got, problem ? problem : "accepted");
}

static void accepts_size(const char *text, uint64_t bytes, uint32_t ppm)
{
    struct lg_settings s;
    const char *problem = set(&s, "LIBGUARD_MAX_MEMORY", text);
    result(!problem && s.max_memory.bytes == bytes && s.max_memory.share_ppm == ppm,
           "LIBGUARD_MAX_MEMORY=%s is %llu bytes, %u ppm (got %llu, %u, %s)", text,
           (unsigned long long)bytes, ppm, (unsigned long long)s.max_memory.bytes,
           s.max_memory.share_ppm, problem ? problem : "accepted");
}

static void accepts_bool(const char *text, bool value)
{
    struct lg_settings s;
    const char *problem = set(&s, "LIBGUARD_DRY_RUN", text);
    result(!problem && s.dry_run == value, "LIBGUARD_DRY_RUN=%s is %d (%s)", text, value,
           problem ? problem : "accepted");
}

static void accepts_interrupt(const char *text, int value)
{
    struct lg_settings s;
    const char *problem = set(&s, "LIBGUARD_INTERRUPT", text);
    result(!problem && s.interrupt == value, "LIBGUARD_INTERRUPT=%s is %s (%s)", text,
           lg_interrupt_name(value), problem ? problem : "accepted");
}

static void accepts_signal(const char *text, int signo)
{
    struct lg_settings s;
    const char *problem = set(&s, "LIBGUARD_PYTHON_SIGNAL", text);
    result(!problem && s.python_signal == signo, "LIBGUARD_PYTHON_SIGNAL=%s is %d (got %d, %s)",
           text, signo, s.python_signal, problem ? problem : "accepted");
}

/* ---- refused: the words the message must hold ----------------------------- */

static void refuses(const char *name, const char *text, const char *expected)
{
    struct lg_settings s, before;
    memset(&before, 0, sizeof before);
    lg_settings_defaults(&before);
    const char *problem = set(&s, name, text);
    bool untouched = memcmp(&s, &before, sizeof s) == 0;
    result(problem && strstr(problem, expected) && untouched,
           "%s='%s' is refused with \"%s\" (got \"%s\"%s)", name, text, expected,
           problem ? problem : "accepted", untouched ? "" : ", and the settings changed");
}

static void durations(void)
{
    const char *T = "LIBGUARD_TIMEOUT";
    accepts_duration(T, "30", 30 * S);
    accepts_duration(T, "1.5s", 1500 * MS);
    accepts_duration(T, "250ms", 250 * MS);
    accepts_duration(T, "2m", 120 * S);
    accepts_duration(T, "1h", 3600 * S);
    accepts_duration(T, "0.75h", 2700 * S);
    accepts_duration(T, "1d", DAY);
    accepts_duration(T, "1.5d", 36 * 3600 * S);
    accepts_duration(T, "366d", 366 * DAY);
    accepts_duration(T, "8784h", 366 * DAY);
    accepts_duration(T, "0.000000001", 1);
    accepts_duration(T, "1.0000000009", S);       /* nine fraction digits count */
    accepts_duration(T, "007", 7 * S);
    accepts_duration("LIBGUARD_GRACE_PERIOD", "0", 0);
    accepts_duration("LIBGUARD_CHECK_INTERVAL", "500", 500 * MS); /* plain: ms */
    accepts_duration("LIBGUARD_CHECK_INTERVAL", "0.5s", 500 * MS);
    accepts_duration("LIBGUARD_CHECK_INTERVAL", "1d", DAY);

    static const char *const not_durations[] = {
        "abc", "-1", "+1", " 5", "5 ", "1e3", "5w", "1.s", ".5", "5.", "5sm", "1h30m",
        "0x10", "1,5", "s", "ms", "5 s", "\xef\xbc\x95", "1..5", "inf", "nan",
    };
    for (size_t i = 0; i < sizeof not_durations / sizeof *not_durations; i++)
        refuses(T, not_durations[i], "is not a duration (examples: 30, 1.5s, 250ms, 2m, 1h, 1d)");
    refuses("LIBGUARD_CHECK_INTERVAL", "3X", "is not a duration (examples: 500 (ms), 50ms, 0.5s; units: ms, s, m, h, d)");
    static const char *const upper[] = { "2H", "5S", "1D", "2M", "5MS", "5Ms" };
    for (size_t i = 0; i < sizeof upper / sizeof *upper; i++)
        refuses(T, upper[i], "is not a duration: units are lower case (ms, s, m, h, d)");
    static const char *const too_long[] = {
        "367d", "366.01d", "8784.001h", "31622401", "99999999999999999999999999",
        "18446744073709551616ms",
    };
    for (size_t i = 0; i < sizeof too_long / sizeof *too_long; i++)
        refuses(T, too_long[i], "is more than the maximum of 366 days (366d)");
    refuses(T, "0", "must be more than 0");
    refuses(T, "0.0000000001", "must be more than 0"); /* a tenth of a ns rounds to 0 */
    refuses(T, "", "is empty: unset it or give a value");
    refuses("LIBGUARD_CHECK_INTERVAL", "0", "is too short (at least 1ms)");
    refuses("LIBGUARD_CHECK_INTERVAL", "0.5ms", "is too short (at least 1ms)");
}

static void sizes(void)
{
    const uint64_t K = 1024, M = K * K, G = M * K, T = G * K;
    accepts_size("512M", 512 * M, 0);
    accepts_size("1048576", G, 0);                /* plain: KiB */
    accepts_size("0.5G", G / 2, 0);
    accepts_size("1T", T, 0);
    accepts_size("1073741824B", G, 0);
    accepts_size("4096b", 4 * K, 0);
    static const char *const two_gib[] = {
        "2G", "2g", "2GB", "2gb", "2Gb", "2gB", "2GiB", "2gib", "2GIB", "2giB", "2048M",
        "2048mb", "2048MiB", "2097152K", "2097152kb", "2097152", "2147483648B",
    };
    for (size_t i = 0; i < sizeof two_gib / sizeof *two_gib; i++)
        accepts_size(two_gib[i], 2 * G, 0);
    accepts_size("50%", 0, 500000);
    accepts_size("12.5%", 0, 125000);
    accepts_size("100%", 0, 1000000);
    accepts_size("0.0001%", 0, 1);

    const char *V = "LIBGUARD_MAX_MEMORY";
    static const char *const not_sizes[] = {
        "10X", "2GG", "2iB", "2KiBB", "2 G", " 5M", "5M ", "-1", "+1", "1e99", "G", "GB",
        "2.G", ".5G", "1P", "2Gi", "2GiBs", "0x10", "1,5G", "2gigs",
    };
    for (size_t i = 0; i < sizeof not_sizes / sizeof *not_sizes; i++)
        refuses(V, not_sizes[i], "is not a size (examples: 512M, 2G, 2GB, 2GiB, 1048576 (KiB), 50%)");
    refuses(V, "%", "has no number before the % (examples: 50%, 12.5%)");
    refuses(V, "150%", "is not a share of at most 100% (examples: 50%, 12.5%)");
    refuses(V, "100.1%", "is not a share of at most 100%");
    refuses(V, "5.%", "is not a share (examples: 50%, 12.5%)");
    refuses(V, "0%", "must be more than 0%");
    refuses(V, "0.00001%", "must be more than 0%");
    refuses(V, "0", "must be more than 0");
    refuses(V, "0G", "must be more than 0");
    refuses(V, "99999999999T", "is more than the maximum of 1024 PiB");
    refuses(V, "1048577T", "is more than the maximum of 1024 PiB");
    accepts_size("1048576T", 1ull << 60, 0);
    refuses(V, "", "is empty");
}

static void booleans(void)
{
    static const char *const yes[] = { "1", "true", "yes", "on", "TRUE", "Yes", "ON", "tRuE" };
    static const char *const no[] = { "0", "false", "no", "off", "FALSE", "No", "OFF" };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        accepts_bool(yes[i], true);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        accepts_bool(no[i], false);
    static const char *const neither[] = { "2", "maybe", "y", "n", "t", "01", " 1", "1 ", "enabled" };
    for (size_t i = 0; i < sizeof neither / sizeof *neither; i++)
        refuses("LIBGUARD_SEND_KILL", neither[i],
                "is not a boolean (valid: 1, 0, true, false, yes, no, on, off)");
}

static void choices(void)
{
    accepts_interrupt("exception", LG_INTERRUPT_EXCEPTION);
    accepts_interrupt("signal", LG_INTERRUPT_SIGNAL);
    accepts_interrupt("exception_then_signal", LG_INTERRUPT_EXCEPTION_THEN_SIGNAL);
    accepts_interrupt("EXCEPTION", LG_INTERRUPT_EXCEPTION);
    accepts_interrupt("Signal", LG_INTERRUPT_SIGNAL);
    accepts_interrupt("exception-then-signal", LG_INTERRUPT_EXCEPTION_THEN_SIGNAL);
    accepts_interrupt("Exception-Then_Signal", LG_INTERRUPT_EXCEPTION_THEN_SIGNAL);
    const char *I = "LIBGUARD_INTERRUPT";
    const char *valid = "(valid: exception, signal, exception_then_signal)";
    refuses(I, "exceptions", "is not valid: did you mean exception? (valid: exception,");
    refuses(I, "singal", "did you mean signal?");
    refuses(I, "exception_than_signal", "did you mean exception_then_signal?");
    refuses(I, "xyz", "is not valid (valid: exception, signal, exception_then_signal)");
    refuses(I, "exception_then", valid);
    refuses(I, "exception signal", valid);
    refuses(I, "exception_then_signal_", valid);
    refuses("LIBGUARD_CHILDREN", "some", "is not valid (valid: inherit, none)");
    refuses("LIBGUARD_CHILDREN", "all", "is not valid (valid: inherit, none)");
    refuses("LIBGUARD_CHILDREN", "nome", "did you mean none?");
    refuses("LIBGUARD_ON_ERROR", "ignore", "(valid: exit, warn)");
    struct lg_settings s;
    result(!set(&s, "LIBGUARD_CHILDREN", "NONE") && s.children == LG_CHILDREN_NONE,
           "LIBGUARD_CHILDREN=NONE is none");
    result(!set(&s, "LIBGUARD_ON_ERROR", "Warn") && s.on_error == LG_ON_ERROR_WARN,
           "LIBGUARD_ON_ERROR=Warn is warn");
    refuses("LIBGUARD_LOG", "stdout", "is not stderr, none or a file path");
    refuses("LIBGUARD_PROGRESS", "input", "is not valid (valid: io, output, file:PATH)");
    refuses("LIBGUARD_PROGRESS", "file:", "is not valid (valid: io, output, file:PATH)");
}

static void signals(void)
{
    static const char *const urg[] = { "SIGURG", "URG", "urg", "sigurg", "SigUrg", "23" };
    for (size_t i = 0; i < sizeof urg / sizeof *urg; i++)
        accepts_signal(urg[i], SIGURG);
    accepts_signal("WINCH", SIGWINCH);
    accepts_signal("10", SIGUSR1);
    accepts_signal("usr2", SIGUSR2);
    accepts_signal("HUP", SIGHUP);
    accepts_signal("POLL", SIGIO);
    accepts_signal("CLD", SIGCHLD);
    accepts_signal("RTMIN", SIGRTMIN);
    accepts_signal("RTMIN+2", SIGRTMIN + 2);
    accepts_signal("sigrtmin+2", SIGRTMIN + 2);
    accepts_signal("SIGRTMAX", SIGRTMAX);
    accepts_signal("RTMAX-1", SIGRTMAX - 1);
    accepts_signal("rtmax-3", SIGRTMAX - 3);
    char rtmin[8];
    snprintf(rtmin, sizeof rtmin, "%d", SIGRTMIN);
    accepts_signal(rtmin, SIGRTMIN);

    const char *P = "LIBGUARD_PYTHON_SIGNAL";
    struct { const char *text, *why; } unfit[] = {
        { "SIGKILL", "SIGKILL cannot be caught" }, { "9", "SIGKILL cannot be caught" },
        { "stop", "SIGSTOP cannot be caught" },
        { "INT", "SIGINT is one of the ladder's own steps" }, { "2", "SIGINT is one of" },
        { "SIGTERM", "SIGTERM is one of the ladder's own steps" }, { "15", "SIGTERM is one of" },
        { "SEGV", "SIGSEGV reports a fault or an abort, which faulthandler" },
        { "bus", "SIGBUS reports a fault" }, { "FPE", "SIGFPE reports a fault" },
        { "ILL", "SIGILL reports a fault" }, { "TRAP", "SIGTRAP reports a fault" },
        { "SYS", "SIGSYS reports a fault" }, { "ABRT", "SIGABRT reports a fault or an abort" },
        { "IOT", "SIGABRT reports" }, { "6", "SIGABRT reports" },
        { "TSTP", "SIGTSTP stops the program for job control (Ctrl-Z)" },
        { "TTIN", "SIGTTIN stops the program" }, { "ttou", "SIGTTOU stops the program" },
        { "32", "signal 32 is reserved by the C library for its threads" },
        { "33", "signal 33 is reserved by the C library" },
    };
    for (size_t i = 0; i < sizeof unfit / sizeof *unfit; i++) {
        refuses(P, unfit[i].text, "is not a signal libguard can use: ");
        refuses(P, unfit[i].text, unfit[i].why);
    }
    static const char *const numbers[] = { "0", "65", "99999999999", "00" };
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
        refuses(P, numbers[i], "is not a signal number of this system (see kill -l)");
    static const char *const names[] = {
        "SIGFOO", "SIG", "RTMIN+", "RTMIN+99", "RTMIN-1", "RTMAX+1", "RTMAX-", " URG", "URG ",
        "+23", "-23", "23x", "SIG23", "SIGSIGURG", "RTMIN+1x",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        refuses(P, names[i], "is not a signal (examples: URG, SIGURG, sigurg, 23, RTMIN+2, RTMAX-1)");

    /* Any signal, for guard -s: the fit is the caller's to judge. */
    int signo = 0;
    result(!lg_parse_signal_number("term", &signo) && signo == SIGTERM, "any signal: term is SIGTERM");
    result(!lg_parse_signal_number("9", &signo) && signo == SIGKILL, "any signal: 9 is SIGKILL");
    char name[32];
    result(!strcmp(lg_signal_name(SIGRTMIN + 2, name, sizeof name), "SIGRTMIN+2"),
           "SIGRTMIN+2 is named so");
    result(!strcmp(lg_signal_name(SIGIO, name, sizeof name), "SIGIO"), "SIGIO, not SIGPOLL");
}

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
    static const char *const blanks[] = { " a", "a ", "a, b", "a ,b", "\ta" };
    for (size_t i = 0; i < sizeof blanks / sizeof *blanks; i++)
        refuses("LIBGUARD_SKIP_CMDS", blanks[i], "has a blank around a name");
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

static void contradictions(void)
{
    /* A path read from the environment must also be in the real one (a
     * setuid program's is not trusted): LIBGUARD_PROGRESS is set there. */
    static const char *const need_time[] = { "LIBGUARD_GRACE_PERIOD=1", "LIBGUARD_PROGRESS=io" };
    setenv("LIBGUARD_PROGRESS", "io", 1);
    char *env[3] = { NULL, NULL, NULL };
    char line[200];
    for (size_t i = 0; i < 2; i++) {
        env[0] = (char *)need_time[i];
        snprintf(line, sizeof line, "libguard: %.*s has no effect without LIBGUARD_TIMEOUT: "
                 "set both or neither", (int)strcspn(need_time[i], "="), need_time[i]);
        env_line(env, line);
        env[1] = "LIBGUARD_TIMEOUT=5";
        env_line(env, NULL);
        env[1] = NULL;
    }
    unsetenv("LIBGUARD_PROGRESS");
    static const char *const need_memory[] = {
        "LIBGUARD_MEMORY_GRACE_PERIOD=1", "LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD=1",
        "LIBGUARD_CHECK_INTERVAL=100",
    };
    for (size_t i = 0; i < 3; i++) {
        env[0] = (char *)need_memory[i];
        snprintf(line, sizeof line, "libguard: %.*s has no effect without LIBGUARD_MAX_MEMORY: "
                 "set both or neither", (int)strcspn(need_memory[i], "="), need_memory[i]);
        env_line(env, line);
        env[1] = "LIBGUARD_MAX_MEMORY=1G";
        env_line(env, NULL);
        env[1] = NULL;
    }
    static const char *const need_any[] = {
        "LIBGUARD_INTERRUPT=signal", "LIBGUARD_SEND_KILL=1", "LIBGUARD_DRY_RUN=1",
        "LIBGUARD_ONLY_CMDS=a", "LIBGUARD_SKIP_CMDS=a",
    };
    for (size_t i = 0; i < 5; i++) {
        env[0] = (char *)need_any[i];
        snprintf(line, sizeof line, "libguard: %.*s is set but no guard is: set LIBGUARD_TIMEOUT "
                 "or LIBGUARD_MAX_MEMORY too", (int)strcspn(need_any[i], "="), need_any[i]);
        env_line(env, line);
        env[1] = "LIBGUARD_TIMEOUT=5";
        env_line(env, NULL);
        env[1] = "LIBGUARD_MAX_MEMORY=1G";
        env_line(env, NULL);
        env[1] = NULL;
    }
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

static void nearest(void)
{
    static const char *const words[] = { "timeout", "kill-after", "max-memory", "signal" };
    result(lg_nearest("timout", words, 4) == 0, "timout is near timeout");
    result(lg_nearest("kill-afer", words, 4) == 1, "kill-afer is near kill-after");
    result(lg_nearest("KILL_AFTER", words, 4) == 1, "KILL_AFTER is near kill-after");
    result(lg_nearest("preserve-status", words, 4) == -1, "preserve-status is near nothing");
    result(lg_nearest("sigmal", words, 4) == 3, "sigmal is near signal (one edit)");
    result(lg_nearest("timoet", words, 4) == 0, "timoet is near timeout (two edits in seven)");
    static const char *const short_words[] = { "inherit", "none" };
    result(lg_nearest("some", short_words, 2) == -1, "some is not near none (two edits in four)");
    result(lg_nearest("x", words, 0) == -1, "nothing is near in an empty list");
}

int main(void)
{
    durations();
    sizes();
    booleans();
    choices();
    signals();
    paths();
    program_names();
    other_rows();
    environment();
    contradictions();
    nearest();
    return tap_done();
}
