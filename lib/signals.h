/* Signals by name (signals.c). */
#ifndef LIBGUARD_SIGNALS_H
#define LIBGUARD_SIGNALS_H

#include <stddef.h>

/* LIBGUARD_PYTHON_SIGNAL's parser: NULL and the number, or what would be
 * valid.  Does not allocate. */
const char *lg_parse_signal(const char *text, int *signo);
/* "SIGURG", "SIGRTMIN+2", "signal 99" */
const char *lg_signal_name(int signo, char *buf, size_t size);

#endif
