/* Outside mode: a command the shim cannot enter (statically linked,
 * setuid/setgid or with file capabilities, or one that never reports in) is
 * guarded by guard itself, on the same ladder clock as the watchdog's
 * (escalation.h), with the signal ladder: the time limit counts from the
 * start (no progress is seen from outside), memory is the command's
 * /proc/PID/statm, steps 1 and 2 go to the command and the last to its
 * whole process group. */
#include "config.h"

#include <signal.h>
#include <stdio.h>

#include "guard.h"
#include "memsize.h"

void enter_outside_mode(struct job *job, const char *why)
{
    job->outside = true;
    job->shim = IN;
    job->next_sample_ns = 0;
    lg_clock_start(&job->time, job->start_ns);
    note("outside mode: libguard is not in process %d: %s; guarding it from outside: "
         "signals only (no exception), no progress reports (the time limit counts from "
         "the start), memory of that process alone",
         (int)job->pid, why);
}

static void outside_step(struct job *job, int kind, int step, const char *why)
{
    int signo = lg_step_signal(LG_INTERRUPT_SIGNAL, step, eff.send_kill);
    char name[32];
    lg_signal_name(signo, name, sizeof name);
    note("%s: %s to %s %d, step %d of %d (outside mode)%s", why, name,
         step == LG_LADDER_STEPS ? "process group" : "process", (int)job->pid, step,
         LG_LADDER_STEPS, eff.dry_run ? " (dry run: nothing sent)" : "");
    if (eff.dry_run)
        return;
    job->fired = kind;
    send_terminating(step == LG_LADDER_STEPS ? -job->pid : job->pid, signo);
}

static uint64_t check_time(struct job *job, uint64_t now)
{
    const struct lg_ladder_times times = { eff.timeout_ns, eff.grace_ns };
    uint64_t due = lg_clock_due(&job->time, &times);
    if (now < due)
        return due;
    char ran[32], limit[32], why[128];
    lg_format_duration((now - job->start_ns) / LG_NS_PER_MS * LG_NS_PER_MS, ran, sizeof ran);
    lg_format_duration(eff.timeout_ns, limit, sizeof limit);
    snprintf(why, sizeof why, "running for %s, no progress seen from outside (limit %s)",
             ran, limit);
    outside_step(job, STATUS_TIME, lg_clock_fire(&job->time, now), why);
    return lg_clock_due(&job->time, &times);
}

/* A sample every check interval, and at the step due. */
static void check_memory(struct job *job, uint64_t now)
{
    uint64_t bytes = lg_memory_resident_of(job->pid);
    job->next_sample_ns = now + eff.check_interval_ns;
    if (bytes <= job->max_bytes) {
        if (lg_clock_memory(&job->memory, false, now))
            note("resident memory is back under the limit: the memory guard starts over");
        return;
    }
    lg_clock_memory(&job->memory, true, now);
    const struct lg_ladder_times times = { eff.memory_grace_ns, eff.memory_secondary_grace_ns };
    uint64_t due = lg_clock_due(&job->memory, &times);
    if (now < due) {
        job->next_sample_ns = min64(job->next_sample_ns, due);
        return;
    }
    char size[32], limit[32], over[32], why[160];
    lg_format_size(bytes, size, sizeof size);
    lg_format_size(job->max_bytes, limit, sizeof limit);
    lg_format_duration((now - job->memory.since_ns) / LG_NS_PER_MS * LG_NS_PER_MS,
                       over, sizeof over);
    snprintf(why, sizeof why, "resident memory %s over the limit of %s for %s",
             size, limit, over);
    outside_step(job, STATUS_MEMORY, lg_clock_fire(&job->memory, now), why);
}

/* One look from outside: fire what is due, return when to look again. */
uint64_t outside_check(struct job *job, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    if (eff.timeout_ns)
        next = check_time(job, now);
    if (job->max_bytes) {
        if (now >= job->next_sample_ns)
            check_memory(job, now);
        next = min64(next, job->next_sample_ns);
    }
    return next;
}
