/* Is the shim in the command?  The shim appends "started PID" to the status
 * file when it arms (status.h); guard waits for it a second at most.  Then,
 * for each program the command executes (guard looks every 500ms), libguard
 * must show in /proc/PID/maps; a program the shim cannot enter, or one that
 * does not report in, is guarded from outside (outside.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "status.h"

void handshake_begin(struct job *job, const char *cannot_enter, bool left_out,
                     const char *command_path)
{
    if (cannot_enter) {
        enter_outside_mode(job, cannot_enter);
    } else if (left_out) {
        job->shim = IN;
        snprintf(job->exe, sizeof job->exe, "%s", command_path);
    } else {
        job->shim = WAIT_REPORT;
        job->shim_due = lg_now() + HANDSHAKE_NS;
    }
}

/* Outside mode for a program `exe` the shim cannot enter, or NULL. */
static bool outside_for(struct job *job, const char *exe)
{
    const char *why = command_selected(exe, exe) ? shim_cannot_enter(exe) : NULL;
    if (!why)
        return false;
    char text[PATH_MAX + 128];
    snprintf(text, sizeof text, "it executed %s, and %s", exe, why);
    enter_outside_mode(job, text);
    return true;
}

/* Did the command execute another program, which the shim may not be in? */
static void check_exec(struct job *job, uint64_t now)
{
    char exe[PATH_MAX];
    read_exe(job->pid, exe, sizeof exe);
    if (exe[0] && strcmp(exe, job->exe) != 0) {
        job->start_ns = now; /* outside, the clock starts with the new program */
        if (!outside_for(job, exe)) {
            job->shim = WAIT_MAPPED;
            job->shim_due = now + HANDSHAKE_NS;
        }
    }
    job->next_exe_check = now + EXEC_CHECK_NS;
}

static void check_mapped(struct job *job, uint64_t now)
{
    char exe[PATH_MAX];
    read_exe(job->pid, exe, sizeof exe);
    if (library_mapped(job->pid) != 0) {
        job->shim = IN;
        snprintf(job->exe, sizeof job->exe, "%s", exe);
        job->next_exe_check = now + EXEC_CHECK_NS;
    } else if (exe[0] && strcmp(exe, job->exe) != 0) {
        /* Executed before guard looked: no need to wait and see. */
        snprintf(job->exe, sizeof job->exe, "%s", exe);
        outside_for(job, exe);
    }
}

uint64_t handshake_check(struct job *job, uint64_t now)
{
    if (job->outside)
        return UINT64_MAX;
    if (job->shim == IN && job->watch_exec && now >= job->next_exe_check)
        check_exec(job, now);
    if (!job->outside && job->shim == WAIT_REPORT) {
        struct lg_status st = lg_status_read(status_path, job->pid);
        if (st.started || st.skipped)
            job->shim = WAIT_MAPPED; /* it was in; is it in what runs now? */
    }
    if (!job->outside && job->shim == WAIT_MAPPED)
        check_mapped(job, now);
    if (job->outside)
        return UINT64_MAX;
    if (job->shim == IN)
        return job->watch_exec ? job->next_exe_check : UINT64_MAX;
    if (now >= job->shim_due) {
        enter_outside_mode(job, job->shim == WAIT_REPORT
            ? "it did not report in within 1s (a script whose interpreter libguard "
              "cannot enter, or LD_PRELOAD cleared)"
            : "the program it runs now was not entered within 1s (LD_PRELOAD "
              "cleared before it was executed)");
        return UINT64_MAX;
    }
    /* Few looks at a tiny file, for a second at most. */
    return min64(job->shim_due, now + 20 * LG_NS_PER_MS);
}
