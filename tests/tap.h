/* TAP output for the C unit tests (options-unit, settings-unit, ladder-clock,
 * elfsym-unit): one line per check, then the plan; tap_done() is main's exit
 * status. */
#ifndef LIBGUARD_TESTS_TAP_H
#define LIBGUARD_TESTS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tests, failures;

static void result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void result(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%sok %d - ", ok ? "" : "not ", ++tests);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures += !ok;
}

static int tap_done(void)
{
    printf("1..%d\n", tests);
    return failures ? 1 : 0;
}

#endif
