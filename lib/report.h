/* LIBGUARD_REPORT: one JSON line per process when it ends, appended to a
 * file that many processes may share. */
#ifndef LIBGUARD_REPORT_H
#define LIBGUARD_REPORT_H

#include <stdint.h>

struct lg_settings;

/* At start-up (and in a forked child): where to write, and the limits. */
void lg_report_configure(const struct lg_settings *s, uint64_t max_bytes);
/* A step fired (watchdog). */
void lg_report_step(int kind, int step, const char *action);
/* The process ends: by exit(status), or by a signal libguard is about to
 * send and that will end it.  Only the first call writes. */
void lg_report_exit(int status);
void lg_report_signal(int signo);

#endif
