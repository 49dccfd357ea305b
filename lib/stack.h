/* At a guard's first step, where its target is: the system call it is
 * blocked in and, in CPython, the Python stacks, written by the thread that
 * delivers the exception (stack.c). */
#ifndef LIBGUARD_STACK_H
#define LIBGUARD_STACK_H

#include <stdbool.h>

#include "registry.h"

/* What was seen, between capture and log (on the watchdog's stack). */
struct lg_stack {
    char target[48];
    char native[320];
    int python;  /* lg_python_stacks_ask's answer */
    char why[256];
};

/* Look where the target (`target` names it: "main thread") is, writing
 * nothing yet, and, when the step raises through the interpreter's route
 * (`raising`), ask its deliverer for the Python stacks.  False when there
 * is nothing to log (LIBGUARD_LOG=none, or enough stacks logged in this
 * process).  On the watchdog; never blocks on the program. */
bool lg_stack_capture(const struct lg_desc *d, const char *target, bool raising,
                      struct lg_stack *s);
/* Log what lg_stack_capture saw, and free it. */
void lg_stack_log(struct lg_stack *s);
/* A file in memory for a dump: never blocks, never fills up a pipe.  -1
 * when none can be made. */
int lg_stack_scratch(void);
/* Log the Python dump in `fd` (from lg_stack_scratch; closed here), at
 * most 256 KiB, headed as the stacks of `target` ("main thread").  Its
 * "Current thread" block is the writer's: the target's when `marked`,
 * listed first; else a helper's with no Python frame, left out. */
void lg_stack_log_python(int fd, const char *target, bool marked);
/* The program is exiting: if the watchdog is describing a target (it
 * interrupted it first), let it finish, within a second at most, so that
 * a program that ends at once on the interrupt keeps its description. */
void lg_stack_wait_logged(void);

#endif
