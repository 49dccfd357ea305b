/* What the option parser's unit tests share (options-unit, settings-unit):
 * set one NAME=VALUE through the table as guard's flags do, and check that a
 * spelling is accepted with its value or refused with the words of its
 * message and the settings left untouched. */
#ifndef LIBGUARD_TESTS_OPTIONS_CHECK_H
#define LIBGUARD_TESTS_OPTIONS_CHECK_H

#include <stdint.h>
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

#endif
