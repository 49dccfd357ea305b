/* At a guard's first step, where its target is: the system call it is
 * blocked in and, in CPython, the Python stacks (stack.c). */
#ifndef LIBGUARD_STACK_H
#define LIBGUARD_STACK_H

#include "registry.h"

/* Log it; `target` names the thread ("main thread").  On the watchdog;
 * never blocks on the program. */
void lg_stack_report(const struct lg_desc *d, const char *target);

#endif
