/* LIBGUARD_ONLY_CMDS and LIBGUARD_SKIP_CMDS.  See cmds.h. */
#include "config.h"
#include "cmds.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define EXAMPLE "(example: python3*,job.sh)"

/* Byte loops rather than strlen, strcspn, memchr, and strrchr: every
 * program the lists leave out runs this code at start, and the first call
 * of each libc function costs a process a symbol lookup (some 650
 * instructions, a tenth of what loading an empty library costs). */

/* The length of the name that begins `item`: up to the next ',' or the end. */
static size_t name_length(const char *item)
{
    size_t n = 0;
    while (item[n] && item[n] != ',')
        n++;
    return n;
}

static bool has_char(const char *item, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (item[i] == c)
            return true;
    return false;
}

/* Does `name` match the pattern item[0..len)?  A pattern with none of
 * fnmatch's special characters matches only itself. */
static bool matches(const char *item, size_t len, const char *name)
{
    bool special = false;
    for (size_t i = 0; i < len; i++)
        special |= item[i] == '*' || item[i] == '?' || item[i] == '[' || item[i] == '\\';
    if (!special) {
        size_t i = 0;
        while (i < len && item[i] == name[i])
            i++;
        return i == len && name[len] == '\0';
    }
    char pattern[LG_CMDS_MAX];
    memcpy(pattern, item, len);
    pattern[len] = '\0';
    return fnmatch(pattern, name, 0) == 0;
}

const char *lg_parse_cmds(const char *text, char *why, size_t why_size)
{
    size_t total = 0;
    while (total < LG_CMDS_MAX && text[total])
        total++;
    if (total >= LG_CMDS_MAX)
        return "is too long (at most 1023 bytes)";
    for (const char *item = text;; item++) {
        size_t len = name_length(item);
        if (len == 0)
            return "has an empty name: names are separated by single commas " EXAMPLE;
        if (has_char(item, len, ' ') || has_char(item, len, '\t'))
            return "has a blank in or around a name: write the names without blanks " EXAMPLE;
        if (has_char(item, len, '/')) {
            snprintf(why, why_size, "names a path ('%.*s'): give the program's name, "
                     "what follows the last '/' " EXAMPLE, (int)(len < 60 ? len : 60), item);
            return why;
        }
        item += len;
        if (!*item)
            return NULL;
    }
}

static const char *base_name(const char *path)
{
    const char *base = path;
    for (; *path; path++)
        if (*path == '/')
            base = path + 1;
    return base;
}

bool lg_cmds_match(const char *list, const char *const *names, size_t count)
{
    for (const char *item = list; *item;) {
        size_t len = name_length(item);
        if (len < LG_CMDS_MAX)
            for (size_t i = 0; i < count; i++)
                if (names[i] && names[i][0] && matches(item, len, base_name(names[i])))
                    return true;
        item += len + (item[len] == ',');
    }
    return false;
}

bool lg_cmds_selected(const char *only, const char *skip,
                      const char *const *names, size_t count)
{
    if (only && !lg_cmds_match(only, names, count))
        return false;
    return !(skip && lg_cmds_match(skip, names, count));
}

bool lg_cmds_selects_this_process(const char *only, const char *skip, const char *argv0)
{
    if (!only && !skip)
        return true;
    char why[160];
    if ((only && lg_parse_cmds(only, why, sizeof why))
        || (skip && lg_parse_cmds(skip, why, sizeof why)))
        return true; /* not valid: selected, so that it is reported */
    if (argv0 && argv0[0] == '-')
        argv0++; /* a login shell */
    const char *names[3] = { (const char *)getauxval(AT_EXECFN), argv0, NULL };
    /* Decided without the executable's own name?  ONLY matched and SKIP did
     * not need looking at, or SKIP matched. */
    if (skip && lg_cmds_match(skip, names, 2))
        return false;
    if (only && lg_cmds_match(only, names, 2) && !skip)
        return true;
    char exe[4096];
    int saved_errno = errno;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    errno = saved_errno;
    exe[n > 0 ? n : 0] = '\0';
    names[2] = exe;
    return lg_cmds_selected(only, skip, names, 3);
}
