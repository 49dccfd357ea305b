/* Signals by name or number (signals.c). */
#ifndef LIBGUARD_SIGNALS_H
#define LIBGUARD_SIGNALS_H

#include <stddef.h>

/* Any signal as kill(1) reads it: a number, or a name with or without SIG
 * in any case ("URG", "SIGURG", "sigurg"), or RTMIN+n / RTMAX-n.  NULL and
 * the number, or what would be valid.  Does not allocate. */
const char *lg_parse_signal_number(const char *text, int *signo);

/* LIBGUARD_PYTHON_SIGNAL's parser: any signal the program may give libguard
 * to raise its exception.  NULL and the number, or the problem, which may
 * be formatted into `why` (naming the signal and why it does not fit). */
const char *lg_parse_signal(const char *text, int *signo, char *why, size_t why_size);

/* "SIGURG", "SIGRTMIN+2", "signal 99" */
const char *lg_signal_name(int signo, char *buf, size_t size);

#endif
