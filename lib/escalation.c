/* The escalation ladder as pure functions.  See escalation.h. */
#include "config.h"
#include "escalation.h"

#include <signal.h>

#include "clock.h"
#include "options.h"
#include "units.h"

enum { RAISE = 0, LAST = -1 }; /* LAST: SIGTERM, or SIGKILL with send_kill */

static const int ladder[3][LG_LADDER_STEPS] = {
    [LG_INTERRUPT_EXCEPTION] = { RAISE, RAISE, RAISE },
    [LG_INTERRUPT_SIGNAL] = { SIGINT, SIGTERM, LAST },
    [LG_INTERRUPT_EXCEPTION_THEN_SIGNAL] = { RAISE, SIGINT, LAST },
};

int lg_step_signal(int interrupt, int step, bool send_kill)
{
    int action = ladder[interrupt][step - 1];
    return action == LAST ? (send_kill ? SIGKILL : SIGTERM) : action;
}

void lg_clock_start(struct lg_ladder_clock *c, uint64_t at_ns)
{
    *c = (struct lg_ladder_clock){ .running = true, .since_ns = at_ns };
}

int lg_clock_progress(struct lg_ladder_clock *c, uint64_t at_ns)
{
    if (at_ns <= c->since_ns)
        return -1;
    int undone = c->step;
    lg_clock_start(c, at_ns);
    return undone;
}

int lg_clock_memory(struct lg_ladder_clock *c, bool over, uint64_t sample_ns)
{
    if (!over) {
        int undone = c->running ? c->step : 0;
        *c = (struct lg_ladder_clock){ 0 };
        return undone;
    }
    if (!c->running)
        lg_clock_start(c, sample_ns);
    return 0;
}

uint64_t lg_clock_due(const struct lg_ladder_clock *c, const struct lg_ladder_times *t)
{
    if (!c->running || c->step >= LG_LADDER_STEPS)
        return LG_NEVER;
    return c->step == 0 ? c->since_ns + t->first_ns : c->step_ns + t->between_ns;
}

int lg_clock_fire(struct lg_ladder_clock *c, uint64_t now)
{
    c->step++;
    c->step_ns = now;
    return c->step;
}

uint64_t lg_clock_next_look(const struct lg_ladder_clock *c, const struct lg_ladder_times *t,
                            uint64_t now)
{
    uint64_t due = lg_clock_due(c, t), within = now + t->first_ns;
    if (due == LG_NEVER)
        return within;
    return c->step == 0 || due < within ? due : within;
}

uint64_t lg_clock_kill_after(const struct lg_ladder_times *t, bool sent_kill)
{
    return sent_kill ? LG_NS_PER_S : t->between_ns;
}
