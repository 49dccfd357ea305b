/* guard's command line (flags.c): each flag is one LIBGUARD_* setting,
 * checked by the library's own parser. */
#ifndef GUARD_FLAGS_H
#define GUARD_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

struct guard_flags {
    const char *given[LG_OPT_COUNT];  /* the value a flag gives a setting, or NULL */
    bool by_flag[LG_OPT_COUNT];       /* that setting was given by a flag */
    const char *named[LG_OPT_COUNT];  /* by_flag: the long flag to name it by */
    bool hide_value[LG_OPT_COUNT];    /* by_flag: the user did not write the value */
    bool preserve_status;             /* --preserve-status */
    char grace_text[40];              /* the grace period -k DURATION implies */
    const char *kill_after;           /* -k DURATION as written (not 0), or NULL */
    const char *kill_after_as;        /* and its spelling: "-k" or "--kill-after" */
    char **command;                   /* COMMAND [ARG...], inside argv */
};

/* Parse argv into `f`.  --help and --version print and exit(0).  Returns 0,
 * or -1 with the one-line problem (no "guard: " prefix) in `why`. */
int guard_flags_parse(int argc, char **argv, struct guard_flags *f, char *why, size_t why_size);

/* A problem line of the library's parser in guard's words: a setting given
 * by a flag (or not given at all) is named by its flag. */
void guard_flags_translate(char *line, size_t size, const struct guard_flags *f,
                           const bool *inherited);

#endif
