/* The option parser's values, spelling by spelling (a TAP program, run by
 * make check).
 *
 * Every accepted spelling of a duration, size, boolean, choice and signal
 * with the value it gives, and every refused one with the words of its
 * message, through the entry point the library and guard use
 * (lg_settings_set); and the nearest-name suggestions.  The settings that
 * are paths and lists, and whole environments, are settings-unit's. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options-check.h"

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
        /* a blank where the unit would be: not a unit of its own */
        "5 ", "100 ", "5 B", "5 iB", "5\t",
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
    nearest();
    return tap_done();
}
