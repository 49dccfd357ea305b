/* Which programs a preload acts on: LIBGUARD_ONLY_CMDS and LIBGUARD_SKIP_CMDS.
 *
 * Each is a comma-separated list of program names, shell patterns allowed
 * (fnmatch: python3*, job-[0-9].sh).  A process is selected when it matches
 * the ONLY list (or there is none) and does not match the SKIP list; a
 * process matches a list when any of its names does:
 *   - the file it was executed as (AT_EXECFN): the script for a #! script,
 *   - argv[0]: the interpreter for a #! script, the name the caller gave,
 *   - the executable (/proc/self/exe), a symbolic link resolved,
 * each by its basename (the part after the last '/'; argv[0] also without a
 * login shell's leading '-').  Shared by the shim and the guard wrapper; no
 * function allocates. */
#ifndef LIBGUARD_CMDS_H
#define LIBGUARD_CMDS_H

#include <stdbool.h>
#include <stddef.h>

/* The longest list accepted. */
#define LG_CMDS_MAX 1024

/* NULL when `text` is a valid list, else a short phrase saying what is
 * wrong and what would be right (written into `why` when it quotes). */
const char *lg_parse_cmds(const char *text, char *why, size_t why_size);

/* Does any of `names` (basenames, or paths: their basename is taken) match
 * a pattern of `list`?  `list` must be valid. */
bool lg_cmds_match(const char *list, const char *const *names, size_t count);

/* Is a program with these names selected by `only` and `skip` (each NULL
 * when unset)?  Both must be valid. */
bool lg_cmds_selected(const char *only, const char *skip,
                      const char *const *names, size_t count);

/* The same for the calling process, from its own names (see above; `argv0`
 * is its argv[0], or NULL); reads /proc/self/exe only when the cheaper
 * names do not decide.  True when a list is not valid: the process then
 * goes on to report it. */
bool lg_cmds_selects_this_process(const char *only, const char *skip, const char *argv0);

#endif
