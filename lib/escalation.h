/* The escalation ladder as pure functions: what each step does, and, given a
 * guard's state and the time, when the next step is due.
 *
 * No clock is read and nothing is sent here: every time is an argument.  The
 * watchdog (watchdog.c, ladder.c) and the guard command's outside mode
 * (tools/outside.c) run their ladders through these functions, so a change
 * to the ladder reaches both; tests/ladder-clock.c drives them with a fake
 * clock.  The table (doc/design.md):
 *
 *   step  due (time guard)          exception  signal           exception_then_signal
 *   1     timeout after progress    exception  SIGINT           exception
 *   2     + grace period            exception  SIGTERM          SIGINT
 *   3     + grace period            exception  SIGTERM/SIGKILL  SIGTERM/SIGKILL
 *
 * A memory guard's first step is due once resident memory has stayed over
 * the limit for its grace period, each further step a secondary grace
 * period after the previous one. */
#ifndef LIBGUARD_ESCALATION_H
#define LIBGUARD_ESCALATION_H

#include <stdbool.h>
#include <stdint.h>

#define LG_LADDER_STEPS 3

/* What step `step` (1..LG_LADDER_STEPS) does on the ladder of `interrupt`
 * (enum lg_interrupt): 0 to raise the exception, else the signal to send
 * (the last one SIGKILL with `send_kill`). */
int lg_step_signal(int interrupt, int step, bool send_kill);

/* How far apart a ladder's steps are. */
struct lg_ladder_times {
    uint64_t first_ns;   /* time: the timeout; memory: the grace period */
    uint64_t between_ns; /* time: the grace period; memory: the secondary one */
};

/* One guard's ladder.  All zero: a memory guard under its limit. */
struct lg_ladder_clock {
    bool running;        /* time: always; memory: while over the limit */
    int step;            /* steps fired, 0..LG_LADDER_STEPS */
    uint64_t step_ns;    /* when the last one fired */
    uint64_t since_ns;   /* time: the newest progress (or the start);
                          * memory: when it went over the limit */
};

/* A time guard armed (or its clock restarted) at `at_ns`: no step fired. */
void lg_clock_start(struct lg_ladder_clock *c, uint64_t at_ns);

/* Time guards: progress at `at_ns` (the newest of the start, reports and
 * whatever else counts).  Newer than what the clock has: the ladder starts
 * over, and the steps it had fired are returned (0..LG_LADDER_STEPS);
 * otherwise -1, nothing changes. */
int lg_clock_progress(struct lg_ladder_clock *c, uint64_t at_ns);

/* Memory guards: a sample taken at `sample_ns`, over the limit or not.
 * Under it, the ladder starts over: returns the steps it had fired (the
 * log says so when there were any).  Over it, the count begins at the first
 * sample over; returns 0. */
int lg_clock_memory(struct lg_ladder_clock *c, bool over, uint64_t sample_ns);

/* When the next step is due; LG_NEVER when the ladder is spent (every step
 * fired: nothing more until progress, or until memory goes back under) or
 * not running. */
uint64_t lg_clock_due(const struct lg_ladder_clock *c, const struct lg_ladder_times *t);

/* The step due was fired at `now`: returns its number (1..LG_LADDER_STEPS). */
int lg_clock_fire(struct lg_ladder_clock *c, uint64_t now);

/* Time guards: when to look again, at `now`, for progress or the next step.
 * Before step 1, when it is due; between steps, within a timeout as well
 * (progress there restarts the clock, whose deadline must not wait for the
 * end of the grace period); spent, a timeout later. */
uint64_t lg_clock_next_look(const struct lg_ladder_clock *c, const struct lg_ladder_times *t,
                            uint64_t now);

/* After the job has ended with a step fired, what is left of it gets the
 * last step, then SIGKILL this long after (guard's clean-up): the ladder's
 * time between steps, or a second when the last step already was SIGKILL. */
uint64_t lg_clock_kill_after(const struct lg_ladder_times *t, bool sent_kill);

#endif
