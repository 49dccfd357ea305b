/* At a guard's first step, where its target is: the system call it is
 * blocked in and, in CPython, the Python stacks (stack.c). */
#ifndef LIBGUARD_STACK_H
#define LIBGUARD_STACK_H

#include <stdbool.h>

#include "registry.h"

/* What was seen, between capture and log (on the watchdog's stack). */
struct lg_stack {
    char target[48];
    char native[320];
    int fd;      /* the Python dump, in a memory file; -1: none */
    int python;  /* lg_python_stacks' answer */
    char why[256];
};

/* Look where the target (`target` names it: "main thread") is, writing
 * nothing yet.  False when there is nothing to log (LIBGUARD_LOG=none, or
 * enough stacks logged in this process).  On the watchdog; never blocks
 * on the program. */
bool lg_stack_capture(const struct lg_desc *d, const char *target, struct lg_stack *s);
/* Log what lg_stack_capture saw, and free it. */
void lg_stack_log(struct lg_stack *s);
/* The program is exiting: if the watchdog is describing a target (it
 * interrupted it first), let it finish, within a second at most, so that
 * a program that ends at once on the interrupt keeps its description. */
void lg_stack_wait_logged(void);

#endif
