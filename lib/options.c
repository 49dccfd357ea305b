/* The option table and its parsers.
 *
 * One row per LIBGUARD_* variable, in the spirit of mimalloc's options.c.
 * Parsing is strict (as jemalloc's): no leading or trailing blanks, no signs,
 * no exponents, no locale; every rejection names what would be valid. */
#include "config.h"
#include "options.h"

#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DURATION_EXAMPLES "(examples: 30, 1.5s, 250ms, 2m, 1h)"
#define DURATION_MS_EXAMPLES "(examples: 500 (ms), 50ms, 0.5s)"
#define SIZE_EXAMPLES "(examples: 512M, 2G, 1048576 (KiB), 50%)"
#define BOOL_VALID "(valid: 1, 0, true, false, yes, no, on, off)"

/* The longest duration or size we accept; far beyond any real budget and far
 * from overflowing the nanosecond and byte arithmetic downstream. */
#define MAX_DURATION_NS (366ull * 24 * 3600 * LG_NS_PER_S)
#define MAX_SIZE_BYTES (1ull << 60)

/* ---- numbers ---------------------------------------------------------- */

/* Parse "123" or "1.25" at *p into value * scale, rounding down.  Up to 9
 * fraction digits count.  Returns false when there is no number or it
 * overflows `max`. */
static bool parse_scaled(const char **p, uint64_t scale, uint64_t max,
                         uint64_t *out)
{
    const char *s = *p;
    uint64_t whole = 0;
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9') {
        if (whole > (UINT64_MAX - 9) / 10)
            return false;
        whole = whole * 10 + (uint64_t)(*s++ - '0');
    }
    uint64_t frac = 0, frac_scale = 1;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9') {
            if (frac_scale < 1000000000ull) {
                frac = frac * 10 + (uint64_t)(*s - '0');
                frac_scale *= 10;
            }
            s++;
        }
    }
    if (whole > max / scale)
        return false;
    uint64_t value = whole * scale;
    /* frac/frac_scale of scale, without overflow: scale <= 2^60, frac_scale <= 1e9 */
    value += (uint64_t)((__uint128_t)frac * scale / frac_scale);
    if (value > max)
        return false;
    *out = value;
    *p = s;
    return true;
}

static const char *parse_duration_unit(const char *text, uint64_t plain_unit,
                                       uint64_t *ns, const char *invalid)
{
    static const struct { const char *suffix; uint64_t ns; } units[] = {
        { "ms", LG_NS_PER_MS }, { "s", LG_NS_PER_S },
        { "m", 60 * LG_NS_PER_S }, { "h", 3600 * LG_NS_PER_S },
    };
    const char *digits_end = text;
    while ((*digits_end >= '0' && *digits_end <= '9') || *digits_end == '.')
        digits_end++;
    uint64_t unit = plain_unit;
    if (*digits_end) {
        unit = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strcmp(digits_end, units[i].suffix) == 0)
                unit = units[i].ns;
        if (!unit)
            return invalid;
    }
    const char *p = text;
    uint64_t value;
    if (!parse_scaled(&p, unit, MAX_DURATION_NS, &value) || p != digits_end)
        return invalid;
    *ns = value;
    return NULL;
}

const char *lg_parse_duration(const char *text, uint64_t *ns)
{
    return parse_duration_unit(text, LG_NS_PER_S, ns,
                               "is not a duration " DURATION_EXAMPLES);
}

const char *lg_parse_duration_ms(const char *text, uint64_t *ns)
{
    return parse_duration_unit(text, LG_NS_PER_MS, ns,
                               "is not a duration " DURATION_MS_EXAMPLES);
}

const char *lg_parse_size(const char *text, struct lg_size *size)
{
    static const char invalid[] = "is not a size " SIZE_EXAMPLES;
    const char *end = text;
    while ((*end >= '0' && *end <= '9') || *end == '.')
        end++;
    if (strcmp(end, "%") == 0) {
        const char *p = text;
        uint64_t ppm;
        if (!parse_scaled(&p, 10000, 100 * 10000, &ppm) || p != end)
            return "is not a share of at most 100% " SIZE_EXAMPLES;
        if (ppm == 0)
            return "must be more than 0% " SIZE_EXAMPLES;
        size->bytes = 0;
        size->share_ppm = (uint32_t)ppm;
        return NULL;
    }
    uint64_t unit = 1024; /* a plain number is KiB, as Resiliparse's max_memory */
    if (*end) {
        static const char letters[] = "KMGT";
        const char *at = strchr(letters, end[0] & ~0x20);
        if (!at || !end[0])
            return invalid;
        const char *rest = end + 1;
        if (*rest && strcmp(rest, "iB") != 0 && strcmp(rest, "B") != 0)
            return invalid;
        unit = 1ull << (10 * (at - letters + 1));
    }
    const char *p = text;
    uint64_t bytes;
    if (!parse_scaled(&p, unit, MAX_SIZE_BYTES, &bytes) || p != end)
        return invalid;
    if (bytes == 0)
        return "must be more than 0 " SIZE_EXAMPLES;
    size->bytes = bytes;
    size->share_ppm = 0;
    return NULL;
}

const char *lg_parse_bool(const char *text, bool *value)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) { *value = true; return NULL; }
        if (strcasecmp(text, no[i]) == 0) { *value = false; return NULL; }
    }
    return "is not a boolean " BOOL_VALID;
}

/* ---- signals ------------------------------------------------------------ */

static const struct { const char *name; int signo; } signal_names[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
    { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
    { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
    { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
    { "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
    { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
    { "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

const char *lg_signal_name(int signo, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (signal_names[i].signo == signo) {
            snprintf(buf, size, "SIG%s", signal_names[i].name);
            return buf;
        }
    if (signo >= SIGRTMIN && signo <= SIGRTMAX)
        snprintf(buf, size, "SIGRTMIN+%d", signo - SIGRTMIN);
    else
        snprintf(buf, size, "signal %d", signo);
    return buf;
}

const char *lg_parse_signal(const char *text, int *signo)
{
    static const char invalid[] =
        "is not a signal libguard can use (examples: SIGURG, SIGWINCH, "
        "SIGRTMIN+2; not SIGINT, SIGTERM, SIGKILL, SIGSTOP or a fault signal)";
    const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    int found = 0;
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (strcasecmp(name, signal_names[i].name) == 0)
            found = signal_names[i].signo;
    if (!found && strncasecmp(name, "RTMIN", 5) == 0) {
        const char *p = name + 5;
        int offset = 0;
        if (*p == '+' && p[1]) {
            for (p++; *p >= '0' && *p <= '9' && offset <= SIGRTMAX; p++)
                offset = offset * 10 + (*p - '0');
        }
        if (*p || offset > SIGRTMAX - SIGRTMIN)
            return invalid;
        found = SIGRTMIN + offset;
    }
    switch (found) {
    case 0: case SIGINT: case SIGTERM: case SIGKILL: case SIGSTOP:
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP:
    case SIGABRT: case SIGSYS:
        return invalid;
    }
    *signo = found;
    return NULL;
}

/* ---- formatting ------------------------------------------------------- */

void lg_format_duration(uint64_t ns, char *buf, size_t size)
{
    if (ns % LG_NS_PER_S == 0 && ns >= 60 * LG_NS_PER_S && ns % (60 * LG_NS_PER_S) == 0)
        snprintf(buf, size, "%llum", (unsigned long long)(ns / (60 * LG_NS_PER_S)));
    else if (ns % LG_NS_PER_S == 0)
        snprintf(buf, size, "%llus", (unsigned long long)(ns / LG_NS_PER_S));
    else if (ns < LG_NS_PER_S)
        snprintf(buf, size, "%gms", (double)ns / LG_NS_PER_MS);
    else
        snprintf(buf, size, "%gs", (double)ns / LG_NS_PER_S);
}

void lg_format_size(uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    double value = (double)bytes;
    size_t u = 0;
    while (value >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        value /= 1024;
        u++;
    }
    if (value == (double)(uint64_t)value)
        snprintf(buf, size, "%llu %s", (unsigned long long)value, units[u]);
    else
        snprintf(buf, size, "%.1f %s", value, units[u]);
}

const char *lg_interrupt_name(int interrupt)
{
    switch (interrupt) {
    case LG_INTERRUPT_EXCEPTION: return "exception";
    case LG_INTERRUPT_SIGNAL: return "signal";
    default: return "exception_then_signal";
    }
}

/* ---- the table -------------------------------------------------------- */

enum option_type {
    T_DURATION, T_DURATION_MS, T_SIZE, T_BOOL, T_ENUM, T_SIGNAL, T_LOG,
    T_PROGRESS, T_PATH, T_CMDS,
};

struct option {
    const char *name;        /* the variable */
    enum option_type type;
    size_t offset;           /* of the value in struct lg_settings */
    const char *const *choices; /* T_ENUM: NULL-terminated, value = index */
    uint64_t min_ns;         /* durations: smallest valid value */
    const char *valid;       /* T_ENUM: the phrase listing valid values */
    bool unsupported;        /* parsed, but this version cannot do it yet */
};

static const char *const interrupt_choices[] = { "exception", "signal", "exception_then_signal", NULL };
static const char *const children_choices[] = { "inherit", "none", NULL };
static const char *const on_error_choices[] = { "exit", "warn", NULL };

#define AT(field) offsetof(struct lg_settings, field)
static const struct option table[LG_OPT_COUNT] = {
    [LG_OPT_TIMEOUT] = { "LIBGUARD_TIMEOUT", T_DURATION, AT(timeout_ns), .min_ns = 1 },
    [LG_OPT_GRACE_PERIOD] = { "LIBGUARD_GRACE_PERIOD", T_DURATION, AT(grace_ns) },
    [LG_OPT_MAX_MEMORY] = { "LIBGUARD_MAX_MEMORY", T_SIZE, AT(max_memory) },
    [LG_OPT_MEMORY_GRACE_PERIOD] = { "LIBGUARD_MEMORY_GRACE_PERIOD", T_DURATION, AT(memory_grace_ns) },
    [LG_OPT_MEMORY_SECONDARY_GRACE_PERIOD] = { "LIBGUARD_MEMORY_SECONDARY_GRACE_PERIOD", T_DURATION, AT(memory_secondary_grace_ns) },
    [LG_OPT_INTERRUPT] = { "LIBGUARD_INTERRUPT", T_ENUM, AT(interrupt), interrupt_choices,
                           .valid = "(valid: exception, signal, exception_then_signal)" },
    [LG_OPT_SEND_KILL] = { "LIBGUARD_SEND_KILL", T_BOOL, AT(send_kill) },
    [LG_OPT_CHECK_INTERVAL] = { "LIBGUARD_CHECK_INTERVAL", T_DURATION_MS, AT(check_interval_ns), .min_ns = LG_NS_PER_MS },
    [LG_OPT_LOG] = { "LIBGUARD_LOG", T_LOG, AT(log) },
    [LG_OPT_CHILDREN] = { "LIBGUARD_CHILDREN", T_ENUM, AT(children), children_choices,
                          .valid = "(valid: inherit, none)" },
    [LG_OPT_ON_ERROR] = { "LIBGUARD_ON_ERROR", T_ENUM, AT(on_error), on_error_choices,
                          .valid = "(valid: exit, warn)" },
    [LG_OPT_PYTHON_SIGNAL] = { "LIBGUARD_PYTHON_SIGNAL", T_SIGNAL, AT(python_signal) },
    [LG_OPT_PROGRESS] = { "LIBGUARD_PROGRESS", T_PROGRESS, AT(progress) },
    [LG_OPT_REPORT] = { "LIBGUARD_REPORT", T_PATH, AT(report_path) },
    [LG_OPT_DRY_RUN] = { "LIBGUARD_DRY_RUN", T_BOOL, AT(dry_run) },
    [LG_OPT_STATUS_FILE] = { "LIBGUARD_STATUS_FILE", T_PATH, AT(status_path) },
    [LG_OPT_VERBOSE] = { "LIBGUARD_VERBOSE", T_BOOL, AT(verbose) },
    [LG_OPT_ONLY_CMDS] = { "LIBGUARD_ONLY_CMDS", T_CMDS, AT(only_cmds) },
    [LG_OPT_SKIP_CMDS] = { "LIBGUARD_SKIP_CMDS", T_CMDS, AT(skip_cmds) },
};
#undef AT

void lg_settings_defaults(struct lg_settings *s)
{
    memset(s, 0, sizeof *s);
    s->grace_ns = 15 * LG_NS_PER_S;
    s->memory_grace_ns = 0;
    s->memory_secondary_grace_ns = 5 * LG_NS_PER_S;
    s->check_interval_ns = 500 * LG_NS_PER_MS;
    s->interrupt = LG_INTERRUPT_EXCEPTION_THEN_SIGNAL;
    s->log = LG_LOG_STDERR;
    s->children = LG_CHILDREN_INHERIT;
    s->on_error = LG_ON_ERROR_EXIT;
    s->python_signal = SIGURG;
    s->progress = LG_PROGRESS_CALLS;
}

static const char *copy_path(const char *text, char *dest)
{
    if (strlen(text) >= LG_PATH_MAX)
        return "is too long for a file path";
    strcpy(dest, text);
    return NULL;
}

static const char *parse_row(const struct option *row, const char *text,
                             struct lg_settings *s, char *why, size_t why_size)
{
    void *field = (char *)s + row->offset;
    const char *problem = NULL;
    if (!*text)
        return "is empty: unset it or give a value";
    switch (row->type) {
    case T_DURATION:
    case T_DURATION_MS: {
        uint64_t ns;
        problem = row->type == T_DURATION ? lg_parse_duration(text, &ns)
                                          : lg_parse_duration_ms(text, &ns);
        if (!problem && ns < row->min_ns && row->min_ns == 1)
            return "must be more than 0 " DURATION_EXAMPLES;
        if (!problem && ns < row->min_ns) {
            char min[32];
            lg_format_duration(row->min_ns, min, sizeof min);
            snprintf(why, why_size, "is too short (at least %s)", min);
            return why;
        }
        if (!problem)
            *(uint64_t *)field = ns;
        break;
    }
    case T_SIZE:
        problem = lg_parse_size(text, field);
        break;
    case T_BOOL:
        problem = lg_parse_bool(text, field);
        break;
    case T_ENUM:
        for (int i = 0; row->choices[i]; i++)
            if (strcmp(text, row->choices[i]) == 0) {
                *(int *)field = i;
                return NULL;
            }
        snprintf(why, why_size, "is not valid %s", row->valid);
        return why;
    case T_SIGNAL:
        problem = lg_parse_signal(text, field);
        break;
    case T_LOG:
        if (strcmp(text, "stderr") == 0) {
            s->log = LG_LOG_STDERR;
        } else if (strcmp(text, "none") == 0) {
            s->log = LG_LOG_NONE;
        } else if (!strchr(text, '/')) {
            return "is not stderr, none or a file path (a path has a '/', e.g. ./guard.log)";
        } else {
            s->log = LG_LOG_FILE;
            problem = copy_path(text, s->log_path);
        }
        break;
    case T_PROGRESS:
        if (strcmp(text, "io") == 0) {
            s->progress = LG_PROGRESS_IO;
        } else if (strcmp(text, "output") == 0) {
            s->progress = LG_PROGRESS_OUTPUT;
        } else if (strncmp(text, "file:", 5) == 0 && text[5]) {
            s->progress = LG_PROGRESS_FILE;
            problem = copy_path(text + 5, s->progress_path);
        } else {
            return "is not valid (valid: io, output, file:PATH)";
        }
        break;
    case T_PATH:
        problem = copy_path(text, field);
        break;
    case T_CMDS:
        problem = lg_parse_cmds(text, why, why_size);
        if (!problem)
            strcpy(field, text); /* it fits: lg_parse_cmds checked */
        break;
    }
    if (!problem && row->unsupported)
        return "is not supported by this version of libguard yet: unset it";
    return problem;
}

static const struct option *find_row(const char *name)
{
    if (strncmp(name, "LIBGUARD_", 9) != 0)
        return NULL;
    for (int i = 0; i < LG_OPT_COUNT; i++)
        if (strcmp(name, table[i].name) == 0)
            return &table[i];
    return NULL;
}

bool lg_option_known(const char *name)
{
    return find_row(name) != NULL;
}

const char *lg_option_variable(int row)
{
    return row >= 0 && row < LG_OPT_COUNT ? table[row].name : NULL;
}

/* ---- messages --------------------------------------------------------- */

struct sink {
    char *buf;
    size_t size, used;
    int count, shown;
};

/* Room kept at the end of the buffer for the line saying how many more. */
#define SINK_RESERVE 64

static void sink_line(struct sink *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sink_line(struct sink *k, const char *fmt, ...)
{
    k->count++;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* Whole lines only: one that does not fit is counted, not cut. */
    if (n < 0 || (size_t)n >= sizeof line || k->used + (size_t)n + 2 + SINK_RESERVE > k->size)
        return;
    memcpy(k->buf + k->used, line, (size_t)n);
    k->used += (size_t)n;
    k->buf[k->used++] = '\n';
    k->buf[k->used] = '\0';
    k->shown++;
}

/* Close the list: say how many problems did not fit. */
static void sink_close(struct sink *k)
{
    if (k->count > k->shown && k->used + SINK_RESERVE <= k->size)
        k->used += (size_t)snprintf(k->buf + k->used, k->size - k->used,
                                    "libguard: and %d more problems\n", k->count - k->shown);
}

/* A value as it may safely be quoted in one line: control and non-ASCII
 * bytes escaped, long values cut. */
const char *lg_quote(const char *text, char *buf, size_t size)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 8 < size; p++) {
        if (p - (const unsigned char *)text >= 60) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (*p < 0x20 || *p >= 0x7f || *p == '\'' || *p == '\\')
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
        else
            buf[o++] = (char)*p;
    }
    buf[o] = '\0';
    return buf;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t lb = strlen(b), row[64];
    if (lb >= 63)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; *a; a++, i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + ((*a & ~0x20) != (b[j - 1] & ~0x20));
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static void report_unknown(struct sink *k, const char *name, size_t name_len)
{
    char shown[96], quoted[128];
    snprintf(shown, sizeof shown, "%.*s", (int)(name_len < 80 ? name_len : 80), name);
    lg_quote(shown, quoted, sizeof quoted);
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (int i = 0; i < LG_OPT_COUNT; i++) {
        if (i == LG_OPT_STATUS_FILE || i == LG_OPT_VERBOSE)
            continue; /* internal: the wrapper sets them */
        size_t d = edit_distance(quoted + 9, table[i].name + 9);
        if (d < best_distance) {
            best_distance = d;
            best = table[i].name;
        }
    }
    /* Suggest only what is near: two edits, or a few in a long name. */
    if (best && (best_distance <= 2 || (best_distance <= 4 && best_distance * 3 <= strlen(best + 9))))
        sink_line(k, "libguard: %s is not a libguard setting (did you mean %s?)",
                  quoted, best);
    else
        sink_line(k, "libguard: %s is not a libguard setting (see libguard(7) for the list)",
                  quoted);
}

/* Settings that do nothing given the others are contradictions: a guard
 * that silently does nothing is the worst outcome. */
static void check_contradictions(const struct lg_settings *s, struct sink *k)
{
    bool timed = s->set & (1u << LG_OPT_TIMEOUT);
    bool memory = s->set & (1u << LG_OPT_MAX_MEMORY);
    static const struct { int opt; bool need_time, need_memory; } needs[] = {
        { LG_OPT_GRACE_PERIOD, true, false },
        { LG_OPT_PROGRESS, true, false },
        { LG_OPT_MEMORY_GRACE_PERIOD, false, true },
        { LG_OPT_MEMORY_SECONDARY_GRACE_PERIOD, false, true },
        { LG_OPT_CHECK_INTERVAL, false, true },
        { LG_OPT_INTERRUPT, true, true },
        { LG_OPT_SEND_KILL, true, true },
        { LG_OPT_DRY_RUN, true, true },
        { LG_OPT_ONLY_CMDS, true, true },
        { LG_OPT_SKIP_CMDS, true, true },
    };
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++) {
        if (!(s->set & (1u << needs[i].opt)))
            continue;
        if (needs[i].need_time && needs[i].need_memory) {
            if (!timed && !memory)
                sink_line(k, "libguard: %s is set but no guard is: "
                          "set LIBGUARD_TIMEOUT or LIBGUARD_MAX_MEMORY too",
                          table[needs[i].opt].name);
        } else if (needs[i].need_time && !timed) {
            sink_line(k, "libguard: %s has no effect without LIBGUARD_TIMEOUT: set both or neither",
                      table[needs[i].opt].name);
        } else if (needs[i].need_memory && !memory) {
            sink_line(k, "libguard: %s has no effect without LIBGUARD_MAX_MEMORY: set both or neither",
                      table[needs[i].opt].name);
        }
    }
    if (s->send_kill && s->interrupt == LG_INTERRUPT_EXCEPTION)
        sink_line(k, "libguard: LIBGUARD_SEND_KILL=1 has no effect with LIBGUARD_INTERRUPT=exception "
                  "(it sends no signal): use signal or exception_then_signal");
}

int lg_settings_from_env(struct lg_settings *s, char *const *envp,
                         char *errors, size_t errors_size)
{
    struct sink k = { errors, errors_size, 0, 0, 0 };
    if (errors_size)
        errors[0] = '\0';
    for (char *const *e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "LIBGUARD_", 9) != 0 || !eq)
            continue;
        char name[64];
        size_t len = (size_t)(eq - *e);
        if (len >= sizeof name) {
            report_unknown(&k, *e, len);
            continue;
        }
        memcpy(name, *e, len);
        name[len] = '\0';
        const struct option *row = find_row(name);
        if (!row) {
            report_unknown(&k, name, len);
            continue;
        }
        const char *value = eq + 1;
#ifdef HAVE_SECURE_GETENV
        /* Paths from the environment are not trusted in a setuid program. */
        if ((row->type == T_PATH || row->type == T_LOG || row->type == T_PROGRESS)
            && !secure_getenv(name))
            continue;
#endif
        char why[160], quoted[256];
        const char *problem = parse_row(row, value, s, why, sizeof why);
        if (problem)
            sink_line(&k, "libguard: %s='%s' %s", name, lg_quote(value, quoted, sizeof quoted), problem);
        else
            s->set |= 1u << (row - table);
    }
    if (s->memory_secondary_grace_ns < 10 * LG_NS_PER_MS)
        s->memory_secondary_grace_ns = 10 * LG_NS_PER_MS;
    check_contradictions(s, &k);
    sink_close(&k);
    return k.count;
}

const char *lg_settings_set(struct lg_settings *s, const char *name,
                            const char *value, char *why, size_t why_size)
{
    const struct option *row = find_row(name);
    if (!row) {
        snprintf(why, why_size, "is not a libguard setting");
        return why;
    }
    char local[160];
    const char *problem = parse_row(row, value, s, local, sizeof local);
    if (problem) {
        snprintf(why, why_size, "%s", problem);
        return why;
    }
    s->set |= 1u << (row - table);
    return NULL;
}
