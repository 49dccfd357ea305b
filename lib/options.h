/* The settings of a guard and the one parser for them.
 *
 * Every LIBGUARD_* variable has one row in the option table (options.c) with
 * its type, default and valid values.  The same parsers (units.h,
 * signals.h) serve the guard wrapper's flags, so a value means the same thing
 * wherever it is written. */
#ifndef LIBGUARD_OPTIONS_H
#define LIBGUARD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmds.h"
#include "signals.h"
#include "units.h"

enum lg_interrupt {
    LG_INTERRUPT_EXCEPTION,
    LG_INTERRUPT_SIGNAL,
    LG_INTERRUPT_EXCEPTION_THEN_SIGNAL,
};

enum lg_log_kind { LG_LOG_STDERR, LG_LOG_NONE, LG_LOG_FILE };
enum lg_children { LG_CHILDREN_INHERIT, LG_CHILDREN_NONE };
enum lg_on_error { LG_ON_ERROR_EXIT, LG_ON_ERROR_WARN };
enum lg_progress_kind { LG_PROGRESS_CALLS, LG_PROGRESS_IO, LG_PROGRESS_OUTPUT, LG_PROGRESS_FILE };

#define LG_PATH_MAX 4096

/* Copy `src` (NULL: none) into dst[size], cut to fit: what snprintf "%s"
 * does, without the libc call whose first use costs every process that
 * arms a guard a symbol lookup. */
static inline void lg_copy_string(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < size; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

struct lg_settings {
    uint64_t timeout_ns;                 /* 0: no time guard */
    uint64_t grace_ns;
    struct lg_size max_memory;           /* all zero: no memory guard */
    uint64_t memory_grace_ns;
    uint64_t memory_secondary_grace_ns;
    uint64_t check_interval_ns;
    int interrupt;                       /* enum lg_interrupt */
    bool send_kill;
    bool dry_run;
    bool verbose;                        /* internal: guard -v */
    int log;                             /* enum lg_log_kind */
    int children;                        /* enum lg_children */
    int on_error;                        /* enum lg_on_error */
    int python_signal;
    int progress;                        /* enum lg_progress_kind */
    uint32_t set;                        /* bit per option row: given explicitly */
    /* Last, after the fields every guarded process reads: 18 KiB that only
     * the settings given touch (each page of it touched is a page fault). */
    char log_path[LG_PATH_MAX];
    char progress_path[LG_PATH_MAX];
    char report_path[LG_PATH_MAX];
    char status_path[LG_PATH_MAX];       /* internal: set by the guard wrapper */
    char only_cmds[LG_CMDS_MAX];         /* "": every program (cmds.h) */
    char skip_cmds[LG_CMDS_MAX];         /* "": none left out */
};

/* Was the setting of row `row` (enum lg_option_bit) given?  Asked before a
 * path is read: each is 4 KiB of its own, a page fault to touch. */
static inline bool lg_settings_given(const struct lg_settings *s, int row)
{
    return s->set & (1u << row);
}

/* Fill `s` with the defaults. */
void lg_settings_defaults(struct lg_settings *s);
/* The same for an `s` that is all zero already (static storage): only the
 * fields whose default is not zero are written, and the paths not touched. */
void lg_settings_defaults_zeroed(struct lg_settings *s);

/* Read every LIBGUARD_* variable from `envp` into `s`.  Each problem is
 * written as one line into `errors` (newline-separated, NUL-terminated,
 * truncated to `errors_size`); returns the number of problems. */
int lg_settings_from_env(struct lg_settings *s, char *const *envp,
                         char *errors, size_t errors_size);

/* Parse one option by its variable name, as the wrapper does for a flag.
 * Returns NULL or the problem (written into `why`). */
const char *lg_settings_set(struct lg_settings *s, const char *name,
                            const char *value, char *why, size_t why_size);

/* Does the table know this variable? */
bool lg_option_known(const char *name);
/* The variable of a row of the table (enum lg_option_bit): "LIBGUARD_TIMEOUT". */
const char *lg_option_variable(int row);

/* Bits of lg_settings.set, one per row of the table. */
enum lg_option_bit {
    LG_OPT_TIMEOUT, LG_OPT_GRACE_PERIOD, LG_OPT_MAX_MEMORY,
    LG_OPT_MEMORY_GRACE_PERIOD, LG_OPT_MEMORY_SECONDARY_GRACE_PERIOD,
    LG_OPT_INTERRUPT, LG_OPT_SEND_KILL, LG_OPT_CHECK_INTERVAL, LG_OPT_LOG,
    LG_OPT_CHILDREN, LG_OPT_ON_ERROR, LG_OPT_PYTHON_SIGNAL, LG_OPT_PROGRESS,
    LG_OPT_REPORT, LG_OPT_DRY_RUN, LG_OPT_STATUS_FILE, LG_OPT_VERBOSE,
    LG_OPT_ONLY_CMDS, LG_OPT_SKIP_CMDS,
    LG_OPT_COUNT
};

const char *lg_interrupt_name(int interrupt);
/* The index of the candidate nearest to `word` (edits, ignoring case), or
 * -1 when none is near enough to suggest ("did you mean ...?"). */
int lg_nearest(const char *word, const char *const *candidates, int count);
/* `text` as it may safely be quoted in one line: control and non-ASCII
 * bytes escaped as \xNN, cut after 60 bytes. */
const char *lg_quote(const char *text, char *buf, size_t size);

#endif
