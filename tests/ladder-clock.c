/* The escalation ladder's clock, edge by edge, on a fake clock (a TAP
 * program, run by make check).
 *
 * escalation.h is pure: every time is an argument.  So the escalation table
 * of libguard(7) is checked here without a sleep: which action each step
 * takes on each ladder, when each step of a time guard and of a memory guard
 * is due, how progress (or going back under the limit) starts the ladder
 * over after each step, what a spent ladder does, and how long the clean-up
 * waits before SIGKILL.  A small driver looks at the clock when the clock
 * says to, as the watchdog and guard's outside mode do, and records the
 * steps it fires. */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "escalation.h"
#include "options.h"
#include "units.h"

#include "tap.h"

#define S LG_NS_PER_S
#define MS LG_NS_PER_MS
#define NEVER LG_NEVER

/* ---- what each step does ---------------------------------------------- */

static void action(int interrupt, bool send_kill, int s1, int s2, int s3)
{
    int got[3];
    for (int step = 1; step <= LG_LADDER_STEPS; step++)
        got[step - 1] = lg_step_signal(interrupt, step, send_kill);
    result(got[0] == s1 && got[1] == s2 && got[2] == s3,
           "%s%s: steps are %d %d %d (0: exception; got %d %d %d)", lg_interrupt_name(interrupt),
           send_kill ? " with send_kill" : "", s1, s2, s3, got[0], got[1], got[2]);
}

static void actions(void)
{
    result(LG_LADDER_STEPS == 3, "a ladder has three steps");
    action(LG_INTERRUPT_EXCEPTION, false, 0, 0, 0);
    action(LG_INTERRUPT_EXCEPTION, true, 0, 0, 0);
    action(LG_INTERRUPT_SIGNAL, false, SIGINT, SIGTERM, SIGTERM);
    action(LG_INTERRUPT_SIGNAL, true, SIGINT, SIGTERM, SIGKILL);
    action(LG_INTERRUPT_EXCEPTION_THEN_SIGNAL, false, 0, SIGINT, SIGTERM);
    action(LG_INTERRUPT_EXCEPTION_THEN_SIGNAL, true, 0, SIGINT, SIGKILL);
}

/* ---- a time guard, driven as the watchdog drives it -------------------- */

/* Progress reports the program makes, in time order; the driver sees each
 * one at its first look at or after it, as the watchdog does. */
struct run {
    uint64_t timeout, grace, end;
    const uint64_t *progress;      /* ends with NEVER */
    uint64_t fired[16];            /* when each step fired */
    int steps[16];                 /* which step it was */
    int undone[16];                /* what progress undid, in order */
    int n_fired, n_undone, looks;
};

static void drive_time(struct run *r)
{
    struct lg_ladder_clock c;
    const struct lg_ladder_times t = { r->timeout, r->grace };
    lg_clock_start(&c, 0);
    int seen = 0;
    for (uint64_t now = 0; now <= r->end && r->looks < 10000; r->looks++) {
        uint64_t last = 0;
        while (r->progress && r->progress[seen] != NEVER && r->progress[seen] <= now)
            last = r->progress[seen++];
        int undone = last ? lg_clock_progress(&c, last) : -1;
        if (undone >= 0 && r->n_undone < 16)
            r->undone[r->n_undone++] = undone;
        uint64_t due = lg_clock_due(&c, &t);
        if (due != NEVER && now >= due && r->n_fired < 16) {
            r->steps[r->n_fired] = lg_clock_fire(&c, now);
            r->fired[r->n_fired++] = now;
        }
        uint64_t next = lg_clock_next_look(&c, &t, now);
        if (next <= now && !(due != NEVER && now >= due)) {
            result(false, "the clock asks to look again at once with no step due (at %llu)",
                   (unsigned long long)now);
            return;
        }
        now = next;
    }
}

/* The steps fired, "1@10000 2@25000 ..." in ms. */
static const char *fired(const struct run *r)
{
    static char text[256];
    size_t n = 0;
    text[0] = '\0';
    for (int i = 0; i < r->n_fired && n < sizeof text - 32; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%d@%llu", i ? " " : "", r->steps[i],
                              (unsigned long long)(r->fired[i] / MS));
    return r->n_fired ? text : "none";
}

static void expect_fired(const struct run *r, const char *expected, const char *what)
{
    const char *got = fired(r);
    result(strcmp(got, expected) == 0, "%s: %s (got %s)", what, expected, got);
}

static void time_guard(void)
{
    struct run r = { .timeout = 10 * S, .grace = 15 * S, .end = 200 * S };
    drive_time(&r);
    expect_fired(&r, "1@10000 2@25000 3@40000",
                 "no progress: step 1 at the timeout, then a grace period apart");
    result(r.looks < 30, "a spent ladder is looked at once a timeout, not spun (%d looks in 200s)",
           r.looks);

    struct run short_grace = { .timeout = 10 * S, .grace = 2 * S, .end = 60 * S };
    drive_time(&short_grace);
    expect_fired(&short_grace, "1@10000 2@12000 3@14000", "a grace period shorter than the timeout");

    struct run no_grace = { .timeout = 1 * S, .grace = 0, .end = 10 * S };
    drive_time(&no_grace);
    expect_fired(&no_grace, "1@1000 2@1000 3@1000", "grace period 0: the three steps at once");

    /* Progress resets the clock and the ladder, after each step. */
    static const uint64_t before[] = { 4 * S, 9 * S, NEVER };
    struct run early = { .timeout = 10 * S, .grace = 15 * S, .end = 100 * S, .progress = before };
    drive_time(&early);
    expect_fired(&early, "1@19000 2@34000 3@49000",
                 "progress before step 1: the timeout counts from the last progress");

    static const uint64_t after1[] = { 12 * S, NEVER };
    struct run one = { .timeout = 10 * S, .grace = 15 * S, .end = 100 * S, .progress = after1 };
    drive_time(&one);
    expect_fired(&one, "1@10000 1@22000 2@37000 3@52000",
                 "progress after step 1: the ladder starts over, a whole timeout later");
    result(one.n_undone == 1 && one.undone[0] == 1, "progress after step 1 undoes 1 step (got %d)",
           one.n_undone ? one.undone[0] : -1);

    static const uint64_t after2[] = { 30 * S, NEVER };
    struct run two = { .timeout = 10 * S, .grace = 15 * S, .end = 100 * S, .progress = after2 };
    drive_time(&two);
    expect_fired(&two, "1@10000 2@25000 1@40000 2@55000 3@70000",
                 "progress after step 2: the ladder starts over");
    result(two.n_undone == 1 && two.undone[0] == 2, "progress after step 2 undoes 2 steps (got %d)",
           two.n_undone ? two.undone[0] : -1);

    static const uint64_t spent[] = { 45 * S, NEVER };
    struct run three = { .timeout = 10 * S, .grace = 15 * S, .end = 100 * S, .progress = spent };
    drive_time(&three);
    expect_fired(&three, "1@10000 2@25000 3@40000 1@55000 2@70000 3@85000",
                 "progress after a spent ladder starts it over, a timeout after the progress");
    result(three.n_undone == 1 && three.undone[0] == 3,
           "progress after step 3 undoes 3 steps (got %d)", three.n_undone ? three.undone[0] : -1);

    /* Between steps the clock is looked at within a timeout, so progress
     * there restarts it on time even with a long grace period. */
    static const uint64_t between[] = { 11 * S, NEVER };
    struct run long_grace = { .timeout = 2 * S, .grace = 60 * S, .end = 30 * S,
                              .progress = between };
    drive_time(&long_grace);
    expect_fired(&long_grace, "1@2000 1@13000",
                 "progress at 11s between steps, grace 60s, timeout 2s: seen in time for "
                 "step 1 a timeout after it, not at the end of the grace period");
}

/* The clock's answers, one call at a time. */
static void time_edges(void)
{
    struct lg_ladder_clock c;
    const struct lg_ladder_times t = { 10 * S, 15 * S };
    lg_clock_start(&c, 5 * S);
    result(lg_clock_due(&c, &t) == 15 * S, "armed at 5s with timeout 10s: step 1 due at 15s");
    result(lg_clock_next_look(&c, &t, 6 * S) == 15 * S, "before step 1, the next look is when it is due");
    result(lg_clock_progress(&c, 5 * S) == -1 && lg_clock_due(&c, &t) == 15 * S,
           "progress no newer than the clock's changes nothing");
    result(lg_clock_progress(&c, 3 * S) == -1 && lg_clock_due(&c, &t) == 15 * S,
           "older progress (a coarse clock's report) changes nothing");
    result(lg_clock_progress(&c, 7 * S) == 0 && lg_clock_due(&c, &t) == 17 * S,
           "newer progress before any step: nothing undone, due a timeout after it");
    result(lg_clock_fire(&c, 17 * S) == 1 && lg_clock_due(&c, &t) == 32 * S,
           "step 1 fired at 17s: step 2 due a grace period later");
    result(lg_clock_next_look(&c, &t, 17 * S) == 27 * S,
           "between steps, looked at again within a timeout (27s), not at the step (32s)");
    result(lg_clock_fire(&c, 32 * S) == 2 && lg_clock_fire(&c, 47 * S) == 3,
           "steps 2 and 3 are numbered in order");
    result(lg_clock_due(&c, &t) == NEVER, "a spent ladder has no step due");
    result(lg_clock_next_look(&c, &t, 47 * S) == 57 * S, "a spent ladder is looked at a timeout later");
    result(lg_clock_progress(&c, 50 * S) == 3 && c.step == 0 && lg_clock_due(&c, &t) == 60 * S,
           "progress on a spent ladder undoes its 3 steps; step 1 due a timeout after it");
}

/* ---- a memory guard ------------------------------------------------------ */

static void memory_guard(void)
{
    const struct lg_ladder_times t = { 1 * S, 5 * S }; /* grace, secondary grace */
    struct lg_ladder_clock c = { 0 };
    result(lg_clock_due(&c, &t) == NEVER, "a memory guard under its limit has no step due");
    result(lg_clock_memory(&c, false, 1 * S) == 0 && lg_clock_due(&c, &t) == NEVER,
           "a sample under the limit, no step fired: nothing to undo");
    lg_clock_memory(&c, true, 2 * S);
    result(lg_clock_due(&c, &t) == 3 * S, "over the limit at 2s, grace 1s: step 1 due at 3s");
    lg_clock_memory(&c, true, 2500 * MS);
    result(c.since_ns == 2 * S && lg_clock_due(&c, &t) == 3 * S,
           "later samples over the limit do not move the count: it began at the first");
    result(lg_clock_memory(&c, false, 2800 * MS) == 0 && lg_clock_due(&c, &t) == NEVER,
           "a spike shorter than the grace period: no step, nothing to undo");
    lg_clock_memory(&c, true, 4 * S);
    result(lg_clock_due(&c, &t) == 5 * S, "over again at 4s: the grace period counts from 4s");
    result(lg_clock_fire(&c, 5 * S) == 1 && lg_clock_due(&c, &t) == 10 * S,
           "step 1 at 5s: step 2 a secondary grace period later (10s)");
    result(lg_clock_fire(&c, 10 * S) == 2 && lg_clock_due(&c, &t) == 15 * S,
           "step 2 at 10s: step 3 at 15s");
    result(lg_clock_fire(&c, 15 * S) == 3 && lg_clock_due(&c, &t) == NEVER,
           "step 3 at 15s: the ladder is spent, nothing more while over the limit");
    lg_clock_memory(&c, true, 20 * S);
    result(lg_clock_due(&c, &t) == NEVER, "still over, spent: nothing due");
    result(lg_clock_memory(&c, false, 21 * S) == 3 && lg_clock_due(&c, &t) == NEVER,
           "back under after 3 steps: 3 undone (the log says it starts over)");
    lg_clock_memory(&c, true, 30 * S);
    result(lg_clock_due(&c, &t) == 31 * S && c.step == 0,
           "over again: a new ladder, from step 1 after the grace period");
    lg_clock_fire(&c, 31 * S);
    result(lg_clock_memory(&c, false, 32 * S) == 1, "back under after step 1: 1 undone");

    const struct lg_ladder_times no_grace = { 0, 5 * S };
    struct lg_ladder_clock z = { 0 };
    lg_clock_memory(&z, true, 7 * S);
    result(lg_clock_due(&z, &no_grace) == 7 * S,
           "memory grace period 0 (the default): step 1 at the first sample over");
}

/* Sampled every interval and at the step due, as guard's outside mode does. */
static void memory_sampled(void)
{
    const struct lg_ladder_times t = { 500 * MS, 600 * MS };
    const uint64_t interval = 200 * MS, over_at = 100 * MS;
    struct lg_ladder_clock c = { 0 };
    uint64_t steps_at[4] = { 0 };
    int n = 0;
    for (uint64_t now = 0, next; now <= 5 * S; now = next) {
        next = now + interval;
        lg_clock_memory(&c, now >= over_at, now);
        uint64_t due = lg_clock_due(&c, &t);
        if (now >= due && n < 4)
            steps_at[n++] = now, lg_clock_fire(&c, now), due = lg_clock_due(&c, &t);
        if (due < next)
            next = due;
    }
    result(n == 3 && steps_at[0] == 700 * MS && steps_at[1] == 1300 * MS
           && steps_at[2] == 1900 * MS,
           "over from the sample at 200ms, grace 0.5s, secondary 0.6s: steps at 700, 1300, "
           "1900ms (got %d: %llu %llu %llu)", n, (unsigned long long)(steps_at[0] / MS),
           (unsigned long long)(steps_at[1] / MS), (unsigned long long)(steps_at[2] / MS));
}

/* ---- after the job: the clean-up's SIGKILL ---------------------------- */

static void kill_after(void)
{
    const struct lg_ladder_times time = { 10 * S, 15 * S }, memory = { 0, 5 * S };
    result(lg_clock_kill_after(&time, false) == 15 * S,
           "after a time step, what is left gets SIGKILL a grace period after SIGTERM");
    result(lg_clock_kill_after(&memory, false) == 5 * S,
           "after a memory step, a secondary grace period after SIGTERM");
    result(lg_clock_kill_after(&time, true) == 1 * S,
           "with send_kill, the last step was SIGKILL: a second for it to take effect");
}

int main(void)
{
    actions();
    time_guard();
    time_edges();
    memory_guard();
    memory_sampled();
    kill_after();
    return tap_done();
}
