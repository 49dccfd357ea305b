/* guard's command line: the flags, --help, and problems in guard's words.
 *
 * Each flag is one LIBGUARD_* setting, parsed by the library's own table
 * (lib/options.c), so a value means the same under guard and in the
 * environment. */
#include "config.h"
#include "flags.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GUARD_LIBRARY
#define GUARD_LIBRARY "libguard.so.0"
#endif

enum {
    OPT_MEMORY_GRACE = 256, OPT_MEMORY_SECONDARY_GRACE, OPT_CHECK_INTERVAL,
    OPT_LOG, OPT_CHILDREN, OPT_PYTHON_SIGNAL, OPT_DRY_RUN, OPT_PROGRESS, OPT_REPORT,
    OPT_HELP, OPT_VERSION,
};

/* Each flag, its variable and, for flags without a value, the value. */
static const struct flag {
    struct option getopt;
    int row;                 /* enum lg_option_bit */
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
    { { "kill", no_argument, NULL, 'k' }, LG_OPT_SEND_KILL, "1" },
    { { "check-interval", required_argument, NULL, OPT_CHECK_INTERVAL },
      LG_OPT_CHECK_INTERVAL, NULL },
    { { "log", required_argument, NULL, OPT_LOG }, LG_OPT_LOG, NULL },
    { { "children", required_argument, NULL, OPT_CHILDREN }, LG_OPT_CHILDREN, NULL },
    { { "python-signal", required_argument, NULL, OPT_PYTHON_SIGNAL },
      LG_OPT_PYTHON_SIGNAL, NULL },
    { { "dry-run", no_argument, NULL, OPT_DRY_RUN }, LG_OPT_DRY_RUN, "1" },
    { { "progress", required_argument, NULL, OPT_PROGRESS }, LG_OPT_PROGRESS, NULL },
    { { "report", required_argument, NULL, OPT_REPORT }, LG_OPT_REPORT, NULL },
    { { "verbose", no_argument, NULL, 'v' }, LG_OPT_VERBOSE, "1" },
};
#define N_FLAGS (sizeof flags / sizeof flags[0])


static const char usage[] =
    "Usage: guard [OPTIONS] [--] COMMAND [ARG...]\n"
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
    "  -k, --kill                  SIGKILL as the last step (default SIGTERM)\n"
    "      --check-interval=DURATION\n"
    "                              memory sampling interval (plain: ms; default 500)\n"
    "      --log=WHERE             stderr (default), none, or a file path\n"
    "      --children=WHICH        inherit (default) or none: guard child processes?\n"
    "      --python-signal=SIGNAL  CPython only: signal used to raise promptly (SIGURG)\n"
    "      --dry-run               log each step, interrupt nothing\n"
    "      --progress=WHAT         what else counts as progress: io, output, file:PATH\n"
    "      --report=PATH           append one JSON line per process when it ends\n"
    "  -v, --verbose               print the effective settings\n"
    "      --help                  print this help and exit\n"
    "      --version               print the version and exit\n"
    "\n"
    "Exit status: COMMAND's own; 124 the time guard fired; 122 the memory guard\n"
    "fired; 125 guard failed; 126 COMMAND cannot run; 127 COMMAND not found;\n"
    "128+N COMMAND died from signal N.\n"
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
                if ((fl->by_flag[row] || !inherited[row]) && flag_of_row(row)
                    && strncmp(p, lg_option_variable(row), len) == 0
                    && !((p[len] >= 'A' && p[len] <= 'Z') || p[len] == '_')) {
                    const struct flag *f = flag_of_row(row);
                    int n = snprintf(out + o, sizeof out - o, "--%s", f->getopt.name);
                    o += n > 0 ? (size_t)n : 0;
                    if (p[len] == '=' && f->fixed) /* "LIBGUARD_SEND_KILL=1" */
                        len += 1 + strlen(f->fixed);
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

    opterr = 0;
    int c, longindex;
    while ((c = getopt_long(argc, argv, "+:t:m:g:i:kv", longopts, &longindex)) != -1) {
        char shown[256];
        if (c == OPT_HELP) {
            fputs(usage, stdout);
            exit(0);
        }
        if (c == OPT_VERSION) {
            printf("guard (libguard) %s\n", PACKAGE_VERSION);
            exit(0);
        }
        if (c == '?') {
            if (optopt)
                FAIL("unknown option '-%c' (see guard --help)", optopt);
            FAIL("unknown option '%s' (see guard --help)",
                 lg_quote(argv[optind - 1], shown, sizeof shown));
        }
        if (c == ':') {
            const char *name = argv[optind - 1];
            for (size_t i = 0; i < N_FLAGS; i++)
                if (optopt && flags[i].getopt.val == optopt)
                    name = flags[i].getopt.name;
            FAIL("option '%s%s' needs a value (see guard --help)",
                 optopt && strlen(name) > 1 ? "--" : "", lg_quote(name, shown, sizeof shown));
        }
        const struct flag *f = NULL;
        for (size_t i = 0; i < N_FLAGS; i++)
            if (flags[i].getopt.val == c)
                f = &flags[i];
        if (!f)
            FAIL("internal error: option %d", c);
        const char *value = f->fixed ? f->fixed : optarg;
        char problem_text[256];
        const char *problem = lg_settings_set(&parsed, lg_option_variable(f->row), value,
                                              problem_text, sizeof problem_text);
        if (problem)
            FAIL("--%s '%s' %s", f->getopt.name, lg_quote(value, shown, sizeof shown), problem);
        fl->given[f->row] = value;
        fl->by_flag[f->row] = true;
    }
    if (optind >= argc)
        FAIL("no command given (usage: guard [OPTIONS] [--] COMMAND [ARG...]; see guard --help)");
    fl->command = argv + optind;
    return 0;
}
