/* guard's command line: the flags, --help, and problems in guard's words.
 *
 * Each flag is one LIBGUARD_* setting, parsed by the library's own table
 * (lib/options.c), so a value means the same under guard and in the
 * environment. */
#include "config.h"
#include "flags.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GUARD_LIBRARY
#define GUARD_LIBRARY "libguard.so.0"
#endif

enum {
    OPT_MEMORY_GRACE = 256, OPT_MEMORY_SECONDARY_GRACE, OPT_CHECK_INTERVAL,
    OPT_LOG, OPT_CHILDREN, OPT_PYTHON_SIGNAL, OPT_DRY_RUN, OPT_PROGRESS, OPT_REPORT,
    OPT_HELP, OPT_VERSION, OPT_KILL, OPT_KILL_AFTER, OPT_PRESERVE_STATUS, OPT_FOREGROUND,
    OPT_ONLY_CMDS, OPT_SKIP_CMDS,
};

#define NO_ROW (-1) /* a flag of guard's own, with no LIBGUARD_* setting */

/* Each flag, its variable and, for flags without a value, the value. */
static const struct flag {
    struct option getopt;
    int row;                 /* enum lg_option_bit, or NO_ROW */
    const char *fixed;       /* flags without an argument: the value set */
} flags[] = {
    { { "timeout", required_argument, NULL, 't' }, LG_OPT_TIMEOUT, NULL },
    { { "max-memory", required_argument, NULL, 'm' }, LG_OPT_MAX_MEMORY, NULL },
    { { "grace-period", required_argument, NULL, 'g' }, LG_OPT_GRACE_PERIOD, NULL },
    { { "memory-grace-period", required_argument, NULL, OPT_MEMORY_GRACE },
      LG_OPT_MEMORY_GRACE_PERIOD, NULL },
    { { "memory-secondary-grace-period", required_argument, NULL, OPT_MEMORY_SECONDARY_GRACE },
      LG_OPT_MEMORY_SECONDARY_GRACE_PERIOD, NULL },
    { { "interrupt", required_argument, NULL, 'i' }, LG_OPT_INTERRUPT, NULL },
    { { "kill", no_argument, NULL, OPT_KILL }, LG_OPT_SEND_KILL, "1" },
    { { "check-interval", required_argument, NULL, OPT_CHECK_INTERVAL },
      LG_OPT_CHECK_INTERVAL, NULL },
    { { "log", required_argument, NULL, OPT_LOG }, LG_OPT_LOG, NULL },
    { { "children", required_argument, NULL, OPT_CHILDREN }, LG_OPT_CHILDREN, NULL },
    { { "python-signal", required_argument, NULL, OPT_PYTHON_SIGNAL },
      LG_OPT_PYTHON_SIGNAL, NULL },
    { { "dry-run", no_argument, NULL, OPT_DRY_RUN }, LG_OPT_DRY_RUN, "1" },
    { { "progress", required_argument, NULL, OPT_PROGRESS }, LG_OPT_PROGRESS, NULL },
    { { "report", required_argument, NULL, OPT_REPORT }, LG_OPT_REPORT, NULL },
    { { "only-cmds", required_argument, NULL, OPT_ONLY_CMDS }, LG_OPT_ONLY_CMDS, NULL },
    { { "skip-cmds", required_argument, NULL, OPT_SKIP_CMDS }, LG_OPT_SKIP_CMDS, NULL },
    { { "verbose", no_argument, NULL, 'v' }, LG_OPT_VERBOSE, "1" },
    /* timeout(1)'s own flags, mapped onto the ladder by the parser below */
    { { "kill-after", required_argument, NULL, OPT_KILL_AFTER }, NO_ROW, NULL },
    { { "signal", required_argument, NULL, 's' }, NO_ROW, NULL },
    { { "preserve-status", no_argument, NULL, OPT_PRESERVE_STATUS }, NO_ROW, NULL },
    { { "foreground", no_argument, NULL, OPT_FOREGROUND }, NO_ROW, NULL },
};
#define N_FLAGS (sizeof flags / sizeof flags[0])


static const char usage[] =
    "Usage: guard [OPTIONS] [--] COMMAND [ARG...]\n"
    "  or:  guard [OPTIONS] DURATION COMMAND [ARG...]   (as timeout(1): -t DURATION)\n"
    "Run COMMAND within a time and memory budget, interrupting it in steps when\n"
    "it leaves the budget (libguard(7)).\n"
    "\n"
    "  -t, --timeout=DURATION      time allowed without progress (30, 1.5s, 2m, 1h, 1d)\n"
    "  -m, --max-memory=SIZE       resident memory allowed (512M, 2G, 50%; plain: KiB)\n"
    "  -g, --grace-period=DURATION time guard: between steps (default 15s)\n"
    "      --memory-grace-period=DURATION\n"
    "                              memory guard: excess tolerated before the first\n"
    "                              step (default 0)\n"
    "      --memory-secondary-grace-period=DURATION\n"
    "                              memory guard: between later steps (default 5s)\n"
    "  -i, --interrupt=MODE        exception, signal or exception_then_signal (default)\n"
    "  -k, --kill                  SIGKILL as the last step of either guard (default\n"
    "                              SIGTERM)\n"
    "  -k, --kill-after=DURATION   as timeout(1): SIGKILL DURATION after the time guard's\n"
    "                              first step (the middle step halfway; -k 0: no SIGKILL);\n"
    "                              needs a timeout; a memory guard then ends with SIGKILL\n"
    "                              too. -k takes a DURATION attached (-k5) or as the next\n"
    "                              word if that is one; else it is --kill\n"
    "  -s, --signal=INT            as timeout(1), for the one signal that fits: start\n"
    "                              the ladder with SIGINT (the same as -i signal)\n"
    "      --preserve-status       exit with COMMAND's status even when a guard fired\n"
    "      --foreground            accepted for timeout(1): guard always gives COMMAND\n"
    "                              the terminal when it runs in the foreground\n"
    "      --check-interval=DURATION\n"
    "                              memory sampling interval (plain: ms; default 500)\n"
    "      --log=WHERE             stderr (default), none, or a file path\n"
    "      --children=WHICH        inherit (default) or none: guard child processes?\n"
    "                              (one waiting for a guarded child gets no step)\n"
    "      --python-signal=SIGNAL  CPython only: signal used to raise promptly (SIGURG)\n"
    "      --dry-run               log each step, interrupt nothing\n"
    "      --progress=WHAT         what else counts as progress: io, output, file:PATH\n"
    "      --report=PATH           append one JSON line per process when it ends\n"
    "      --only-cmds=NAMES       guard only these programs of the command's tree\n"
    "                              (comma-separated, patterns allowed: python3*,job.sh)\n"
    "      --skip-cmds=NAMES       guard every program of the tree but these\n"
    "  -v, --verbose               print the effective settings\n"
    "      --help                  print this help and exit\n"
    "      --version               print the version and exit\n"
    "\n"
    "A word after the options that is a duration (before any --) is the timeout, as\n"
    "in timeout(1); put -- before a COMMAND named like one.\n"
    "Exit status: COMMAND's own; 124 the time guard fired; 122 the memory guard\n"
    "fired; 125 guard failed; 126 COMMAND cannot run; 127 COMMAND not found;\n"
    "128+N COMMAND died from signal N.\n"
    "INT, TERM, HUP, QUIT, USR1 and USR2 are forwarded to COMMAND's process group,\n"
    "the first four followed by SIGCONT, as timeout(1) does; not on a terminal, a\n"
    "COMMAND stopped for longer than the timeout is continued, so its ladder fires.\n"
    "guard ignores SIGPIPE (its lines to a closed pipe are lost); COMMAND gets it\n"
    "as guard found it.\n"
    "LIBGUARD_* variables already set are defaults the flags override.\n"
    "GUARD_LIBRARY overrides the library preloaded (" GUARD_LIBRARY ").\n";

static const struct flag *flag_of_row(int row)
{
    for (size_t i = 0; i < N_FLAGS; i++)
        if (flags[i].row == row)
            return &flags[i];
    return NULL;
}

void guard_flags_translate(char *line, size_t size, const struct guard_flags *fl,
                           const bool *inherited)
{
    char out[1024];
    size_t o = 0;
    const char *p = line;
    if (strncmp(p, "libguard: ", 10) == 0)
        p += 10;
    while (*p && o + 1 < sizeof out) {
        bool replaced = false;
        if (strncmp(p, "LIBGUARD_", 9) == 0) {
            for (int row = 0; row < LG_OPT_COUNT && !replaced; row++) {
                size_t len = strlen(lg_option_variable(row));
                const struct flag *f = flag_of_row(row);
                const char *name = fl->by_flag[row] ? fl->named[row]
                                 : !inherited[row] && f ? f->getopt.name : NULL;
                if (name && strncmp(p, lg_option_variable(row), len) == 0
                    && !((p[len] >= 'A' && p[len] <= 'Z') || p[len] == '_')) {
                    int n = snprintf(out + o, sizeof out - o, "--%s", name);
                    o += n > 0 ? (size_t)n : 0;
                    /* "LIBGUARD_SEND_KILL=1": a value the user did not write */
                    if (p[len] == '=' && (fl->by_flag[row] ? fl->hide_value[row] : f->fixed != NULL))
                        len += strcspn(p + len, " ");
                    p += len;
                    replaced = true;
                }
            }
        }
        if (!replaced)
            out[o++] = *p++;
        if (o >= sizeof out)
            o = sizeof out - 1;
    }
    out[o] = '\0';
    snprintf(line, size, "%s", out);
}

/* The problem, formatted into `why`: guard_flags_parse returns -1. */
#define FAIL(...) do { snprintf(why, why_size, __VA_ARGS__); return -1; } while (0)

/* Give a setting a value, checked by the library's parser now so that the
 * problem names the flag as the user wrote it. */
static const char *give(struct guard_flags *fl, struct lg_settings *parsed, int row,
                        const char *value, const char *named, bool hide_value,
                        char *problem, size_t size)
{
    const char *bad = lg_settings_set(parsed, lg_option_variable(row), value, problem, size);
    if (bad)
        return bad;
    fl->given[row] = value;
    fl->by_flag[row] = true;
    fl->named[row] = named;
    fl->hide_value[row] = hide_value;
    return NULL;
}

/* An unknown option, and the nearest known one when there is one near. */
static void unknown_option(const char *arg, const struct option *longopts, int n,
                           char *why, size_t why_size)
{
    char shown[256], name[64];
    const char *word = arg + strspn(arg, "-");
    snprintf(name, sizeof name, "%.*s", (int)strcspn(word, "="), word);
    const char *names[64];
    int count = 0, prefixed = 0;
    for (int i = 0; i < n && count < 64; i++) {
        names[count++] = longopts[i].name;
        prefixed += strncmp(longopts[i].name, name, strlen(name)) == 0;
        if (strcmp(longopts[i].name, name) == 0 && longopts[i].has_arg == no_argument) {
            snprintf(why, why_size, "option '--%s' takes no value (see guard --help%s)", name,
                     strcmp(name, "kill") == 0 ? "; SIGKILL after a delay: --kill-after=DURATION" : "");
            return;
        }
    }
    int near = lg_nearest(name, names, count);
    lg_quote(arg, shown, sizeof shown);
    if (prefixed > 1 && arg[1] == '-')
        snprintf(why, why_size, "option '%s' is ambiguous: it begins %d options (see guard --help)",
                 shown, prefixed);
    else if (near >= 0)
        snprintf(why, why_size, "unknown option '%s' (did you mean --%s?)", shown, names[near]);
    else
        snprintf(why, why_size, "unknown option '%s' (see guard --help)", shown);
}

int guard_flags_parse(int argc, char **argv, struct guard_flags *fl, char *why, size_t why_size)
{
    struct lg_settings parsed;
    lg_settings_defaults(&parsed);
    memset(fl, 0, sizeof *fl);

    struct option longopts[N_FLAGS + 3];
    for (size_t i = 0; i < N_FLAGS; i++)
        longopts[i] = flags[i].getopt;
    longopts[N_FLAGS] = (struct option){ "help", no_argument, NULL, OPT_HELP };
    longopts[N_FLAGS + 1] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
    longopts[N_FLAGS + 2] = (struct option){ 0 };

    /* -k DURATION / --kill-after: SIGKILL that long after the first step, as
     * timeout(1) sends it that long after its signal.  The ladder's steps
     * are a grace period apart and SIGKILL is the third: the grace period
     * is half of it.  Resolved after the loop, against -g. */
    const char *kill_after = NULL, *kill_after_as = NULL, *grace_flag = NULL;
    uint64_t kill_after_ns = 0;

    opterr = 0;
    int c, longindex;
    char shown[256], problem_text[256];
    const char *problem;
    while ((c = getopt_long(argc, argv, "+:t:m:g:i:k::s:v", longopts, &longindex)) != -1) {
        problem = NULL;
        switch (c) {
        case OPT_HELP:
            fputs(usage, stdout);
            exit(0);
        case OPT_VERSION:
            printf("guard (libguard) %s\n", PACKAGE_VERSION);
            exit(0);
        case '?':
            if (optopt > 0 && optopt < 128)
                FAIL("unknown option '-%c' (see guard --help)", optopt);
            unknown_option(argv[optind - 1], longopts, (int)N_FLAGS + 2, why, why_size);
            return -1;
        case ':': {
            const char *name = argv[optind - 1];
            for (size_t i = 0; i < N_FLAGS; i++)
                if (optopt && flags[i].getopt.val == optopt)
                    name = flags[i].getopt.name;
            FAIL("option '%s%s' needs a value (see guard --help)",
                 optopt && strlen(name) > 1 ? "--" : "", lg_quote(name, shown, sizeof shown));
        }
        case 'k': {
            /* A duration attached (-k5), or the next word when it is one
             * (-k 5 cmd); else the plain flag, as before timeout(1)'s -k. */
            uint64_t ns;
            const char *value = optarg;
            if (!value && optind < argc && !lg_parse_duration(argv[optind], &ns))
                value = argv[optind++];
            if (!value) {
                problem = give(fl, &parsed, LG_OPT_SEND_KILL, "1", "kill", true,
                               problem_text, sizeof problem_text);
                break;
            }
            problem = lg_parse_duration(value, &kill_after_ns);
            if (problem)
                FAIL("-k '%s' %s (-k takes a duration only when one follows it: "
                     "write other flags apart, as -k -v)", lg_quote(value, shown, sizeof shown),
                     problem);
            kill_after = value;
            kill_after_as = "-k";
            break;
        }
        case OPT_KILL_AFTER:
            problem = lg_parse_duration(optarg, &kill_after_ns);
            if (problem)
                FAIL("--kill-after '%s' %s", lg_quote(optarg, shown, sizeof shown), problem);
            kill_after = optarg;
            kill_after_as = "--kill-after";
            break;
        case 's': {
            /* timeout(1)'s signal at the timeout.  Only SIGINT is a first
             * step of libguard's ladder (that of -i signal). */
            int signo;
            char name[32];
            problem = lg_parse_signal_number(optarg, &signo);
            if (problem)
                FAIL("--signal '%s' %s", lg_quote(optarg, shown, sizeof shown), problem);
            lg_signal_name(signo, name, sizeof name);
            if (signo == SIGKILL)
                FAIL("--signal %s: libguard sends SIGKILL only as the last step: "
                     "use -k DURATION (SIGKILL that long after the first step)", name);
            if (signo != SIGINT)
                FAIL("--signal %s does not fit libguard's ladder (an exception in Python, "
                     "SIGINT, SIGTERM): use -s INT (or -i signal) to start with SIGINT, "
                     "-k DURATION to end with SIGKILL", name);
            problem = give(fl, &parsed, LG_OPT_INTERRUPT, "signal", "signal", true,
                           problem_text, sizeof problem_text);
            break;
        }
        case OPT_PRESERVE_STATUS:
            fl->preserve_status = true;
            break;
        case OPT_FOREGROUND:
            /* What guard does anyway: the terminal goes to the command. */
            break;
        default: {
            const struct flag *f = NULL;
            for (size_t i = 0; i < N_FLAGS; i++)
                if (flags[i].getopt.val == c)
                    f = &flags[i];
            if (!f || f->row == NO_ROW)
                FAIL("internal error: option %d", c);
            const char *value = f->fixed ? f->fixed : optarg;
            problem = give(fl, &parsed, f->row, value, f->getopt.name, f->fixed != NULL,
                           problem_text, sizeof problem_text);
            if (problem)
                FAIL("--%s '%s' %s", f->getopt.name, lg_quote(value, shown, sizeof shown), problem);
            if (f->row == LG_OPT_GRACE_PERIOD)
                grace_flag = value;
        }
        }
        if (problem)
            FAIL("%s", problem);
    }

    if (kill_after && kill_after_ns == 0) {
        /* timeout(1)'s -k 0: no SIGKILL */
        if ((problem = give(fl, &parsed, LG_OPT_SEND_KILL, "0", "kill-after", true,
                            problem_text, sizeof problem_text)))
            FAIL("%s '%s' %s", kill_after_as, kill_after, problem);
    } else if (kill_after) {
        uint64_t half = kill_after_ns / 2, grace_ns;
        if (grace_flag && (lg_parse_duration(grace_flag, &grace_ns) || grace_ns != half)) {
            char g[32], k[32];
            lg_format_duration(half, g, sizeof g);
            lg_format_duration(kill_after_ns, k, sizeof k);
            FAIL("%s %s puts SIGKILL %s after the first step, so steps %s apart, but "
                 "-g/--grace-period says %s: give one of them",
                 kill_after_as, lg_quote(kill_after, shown, sizeof shown), k, g, grace_flag);
        }
        fl->kill_after = kill_after;
        fl->kill_after_as = kill_after_as;
        snprintf(fl->grace_text, sizeof fl->grace_text, "%llu.%09llus",
                 (unsigned long long)(half / LG_NS_PER_S), (unsigned long long)(half % LG_NS_PER_S));
        if ((problem = give(fl, &parsed, LG_OPT_SEND_KILL, "1", "kill-after", true,
                            problem_text, sizeof problem_text))
            || (!grace_flag && (problem = give(fl, &parsed, LG_OPT_GRACE_PERIOD, fl->grace_text,
                                               "kill-after", true, problem_text,
                                               sizeof problem_text))))
            FAIL("%s '%s' %s", kill_after_as, kill_after, problem);
    }

    /* timeout(1)'s DURATION COMMAND: a word that is a duration where the
     * command would be.  Not after "--", which always starts the command. */
    uint64_t ns;
    bool after_dashes = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
    const char *as_duration = optind < argc ? lg_parse_duration(argv[optind], &ns) : "";
    if (!after_dashes && (!as_duration || !strcmp(as_duration, LG_DURATION_TOO_LONG))) {
        const char *word = lg_quote(argv[optind], shown, sizeof shown);
        if (fl->by_flag[LG_OPT_TIMEOUT])
            FAIL("'%s' reads as timeout(1)'s DURATION, but -t/--timeout was given too: "
                 "put -- before COMMAND if it is called '%s'", word, word);
        if ((problem = give(fl, &parsed, LG_OPT_TIMEOUT, argv[optind], "timeout", false,
                            problem_text, sizeof problem_text)))
            FAIL("DURATION '%s' %s", word, problem);
        optind++;
    }
    if (optind >= argc)
        FAIL("no command given (usage: guard [OPTIONS] [--] COMMAND [ARG...]; see guard --help)");
    fl->command = argv + optind;
    return 0;
}
