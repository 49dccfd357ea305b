/* The option table and its parsers.
 *
 * One row per LIBGUARD_* variable, in the spirit of mimalloc's options.c.
 * The values' own parsers are in units.c and signals.c. */
#include "config.h"
#include "options.h"

#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    /* Field by field, not a memset of the 18 KiB: an empty path or list is
     * its first byte. */
    s->timeout_ns = 0;
    memset(&s->max_memory, 0, sizeof s->max_memory);
    s->memory_grace_ns = 0;
    s->send_kill = s->dry_run = s->verbose = false;
    s->set = 0;
    s->log_path[0] = s->progress_path[0] = s->report_path[0] = s->status_path[0] = '\0';
    s->only_cmds[0] = s->skip_cmds[0] = '\0';
    lg_settings_defaults_zeroed(s);
}

void lg_settings_defaults_zeroed(struct lg_settings *s)
{
    s->grace_ns = 15 * LG_NS_PER_S;
    s->memory_secondary_grace_ns = 5 * LG_NS_PER_S;
    s->check_interval_ns = 500 * LG_NS_PER_MS;
    s->interrupt = LG_INTERRUPT_EXCEPTION_THEN_SIGNAL;
    s->log = LG_LOG_STDERR;
    s->children = LG_CHILDREN_INHERIT;
    s->on_error = LG_ON_ERROR_EXIT;
    s->python_signal = SIGURG;
    s->progress = LG_PROGRESS_CALLS;
}

static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* Equal but for case, and '-' written for '_' (choices are lower case). */
static bool same_word(const char *text, const char *choice)
{
    for (; *text && *choice; text++, choice++)
        if (!(*text == '-' && *choice == '_') && ascii_lower(*text) != *choice)
            return false;
    return !*text && !*choice;
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
            return "must be more than 0 " LG_DURATION_EXAMPLES;
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
    case T_ENUM: {
        /* Any case, and '-' for '_' as in flags: one spelling rule. */
        int count = 0;
        for (; row->choices[count]; count++)
            if (same_word(text, row->choices[count])) {
                *(int *)field = count;
                return NULL;
            }
        int near = lg_nearest(text, row->choices, count);
        if (near >= 0)
            snprintf(why, why_size, "is not valid: did you mean %s? %s", row->choices[near], row->valid);
        else
            snprintf(why, why_size, "is not valid %s", row->valid);
        return why;
    }
    case T_SIGNAL:
        problem = lg_parse_signal(text, field, why, why_size);
        break;
    case T_LOG:
        if (strcmp(text, "stderr") == 0) {
            s->log = LG_LOG_STDERR;
        } else if (strcmp(text, "none") == 0) {
            s->log = LG_LOG_NONE;
        } else if (!strchr(text, '/')) {
            return "is not stderr, none or a file path (a path has a '/', e.g. ./guard.log)";
        } else if (!(problem = copy_path(text, s->log_path))) {
            s->log = LG_LOG_FILE;
        }
        break;
    case T_PROGRESS:
        if (strcmp(text, "io") == 0) {
            s->progress = LG_PROGRESS_IO;
        } else if (strcmp(text, "output") == 0) {
            s->progress = LG_PROGRESS_OUTPUT;
        } else if (strncmp(text, "file:", 5) == 0 && text[5]) {
            if (!(problem = copy_path(text + 5, s->progress_path)))
                s->progress = LG_PROGRESS_FILE;
        } else {
            return "is not valid (valid: io, output, file:PATH)";
        }
        break;
    case T_PATH:
        /* LIBGUARD_LOG's words are not files; here they would quietly be. */
        if (!strcmp(text, "stderr") || !strcmp(text, "stdout") || !strcmp(text, "none"))
            return "is a file path here, not a stream (write /dev/stderr for the standard "
                   "error, ./NAME for a file of that name)";
        problem = copy_path(text, field);
        break;
    case T_CMDS:
        problem = lg_parse_cmds(text, why, why_size);
        if (!problem)
            strcpy(field, text); /* it fits: lg_parse_cmds checked */
        break;
    }
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

int lg_nearest(const char *word, const char *const *candidates, int count)
{
    int best = -1;
    size_t best_distance = SIZE_MAX;
    for (int i = 0; i < count; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (d < best_distance) {
            best_distance = d;
            best = i;
        }
    }
    /* Suggest only what is near: one edit, or a few in a long name (two
     * edits make "some" of "none"). */
    if (best >= 0 && (best_distance <= 1
                      || (best_distance <= 4 && best_distance * 3 <= strlen(candidates[best]))))
        return best;
    return -1;
}

static void report_unknown(struct sink *k, const char *name, size_t name_len)
{
    char shown[96], quoted[128];
    snprintf(shown, sizeof shown, "%.*s", (int)(name_len < 80 ? name_len : 80), name);
    lg_quote(shown, quoted, sizeof quoted);
    /* Compared without the common LIBGUARD_ prefix. */
    const char *names[LG_OPT_COUNT];
    int rows[LG_OPT_COUNT], n = 0;
    for (int i = 0; i < LG_OPT_COUNT; i++) {
        if (i == LG_OPT_STATUS_FILE || i == LG_OPT_VERBOSE)
            continue; /* internal: the wrapper sets them */
        names[n] = table[i].name + 9;
        rows[n++] = i;
    }
    int near = lg_nearest(quoted + 9, names, n);
    if (near >= 0)
        sink_line(k, "libguard: %s is not a libguard setting (did you mean %s?)",
                  quoted, table[rows[near]].name);
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
        if ((*e)[0] != 'L' || strncmp(*e, "LIBGUARD_", 9) != 0)
            continue; /* the first byte first: most variables are not ours */
        const char *eq = strchr(*e, '=');
        if (!eq)
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
