/* guard [OPTIONS] [--] COMMAND [ARG...]: run COMMAND inside its time and
 * memory budget, like timeout(1).
 *
 * How it works (see guard(1)):
 *
 *  - Flags (flags.c) are parsed by the shim's own option table (lib/options.c): each
 *    flag is one LIBGUARD_* variable, set in the command's environment, and
 *    the whole environment the command will see is validated the way the
 *    shim will validate it, so a bad value or a contradiction stops guard
 *    (status 125) before the command starts.
 *  - libguard.so is prepended to LD_PRELOAD; the shim inside the command
 *    runs the escalation ladder.  It appends "started PID" to the private status
 *    file (LIBGUARD_STATUS_FILE) when it arms, and "time" or "memory" for
 *    each step: guard learns there which guard fired (status 124 or 122).
 *  - The command runs in its own process group; INT, TERM, HUP, QUIT, USR1
 *    and USR2 sent to guard are forwarded to that group; the terminating
 *    ones, and guard's own signals but SIGKILL, are followed by SIGCONT, as
 *    timeout(1) does.  guard is a child subreaper, so orphans of the job
 *    come back to it.
 *  - When the command ends after a guard step, the job is over: what is left
 *    of its process group gets the last step (SIGTERM, or SIGKILL with -k),
 *    then SIGKILL after the grace period, so no orphan outlives the job.
 *  - Outside mode: a command the shim cannot enter (statically linked,
 *    setuid/setgid or with file capabilities, or one that never reports in)
 *    is guarded by guard itself: the time limit counts from the start,
 *    memory is the command's /proc/PID/statm, and the signal ladder goes to
 *    the command (its last step to the group).  guard also looks every
 *    500ms whether the command executed another program, and whether the
 *    shim is in that one (libguard in /proc/PID/maps).
 *  - guard ignores SIGPIPE, so that writing its lines to a closed pipe does
 *    not end the supervisor; the command gets SIGPIPE as guard found it.
 *  - On a terminal, the command's group gets the foreground; Ctrl-Z stops
 *    guard with it.  Not on a terminal, a command stopped for longer than
 *    the time limit is continued: its watchdog, stopped with it, is overdue.
 *
 * This file is the order of things; guard.h lists the parts.
 */
#include "config.h"

#include <stdio.h>

#include "guard.h"

int main(int argc, char **argv)
{
    struct guard_flags flags;
    char why[1024];
    messages_ignore_sigpipe();
    if (guard_flags_parse(argc, argv, &flags, why, sizeof why) != 0)
        fail("%s", why);
    char **command = flags.command;

    const char *library = setup_library();
    setup_status_file();
    uint64_t max_bytes = setup_environment(&flags, library);

    char command_path[PATH_MAX];
    const char *cannot_enter = NULL;
    if (resolve_command(command[0], command_path, sizeof command_path))
        cannot_enter = shim_cannot_enter(command_path);
    else
        snprintf(command_path, sizeof command_path, "%s", command[0]);
    /* A command the selection leaves out is not guarded from outside either
     * (the programs it runs are, by the shim, when it can enter them). */
    bool left_out = false;
    if (cannot_enter && !command_selected(command[0], command_path)) {
        if (eff.verbose)
            say("%s is left out by --only-cmds/--skip-cmds, and %s: not guarded",
                command_path, cannot_enter);
        cannot_enter = NULL;
        left_out = true;
    }
    if (eff.verbose)
        print_settings(command_path, library, !cannot_enter);

    supervise_prepare();
    struct job job = { .max_bytes = max_bytes,
                       .watch_exec = eff.children == LG_CHILDREN_INHERIT };
    int not_run = supervise_start(&job, command);
    if (not_run)
        return not_run;
    handshake_begin(&job, cannot_enter, left_out, command_path);
    while (!job.done) {
        uint64_t now = lg_now();
        uint64_t next = handshake_check(&job, now);
        if (job.outside)
            next = min64(next, outside_check(&job, now));
        wait_events(&job, next);
    }
    return supervise_finish(&job, &flags);
}
