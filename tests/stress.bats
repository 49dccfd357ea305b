#!/usr/bin/env bats
# Stress, each bounded in time: storms of foreign signals during a ladder,
# hostile limits and environments (32 threads against the watchdog: capi.bats).
load helpers

setup() { setup_guard_env; }

@test "after the storm the process guard still fires on time" {
    # The threads and the main thread's progress stop at 1 s: the guard
    # fires 0.5 s later, while the main thread spins on.  (With 8 threads
    # spinning on 2 cores the main thread may lose the CPU before 1 s, and
    # its last progress comes a little earlier.)
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_INTERRUPT=signal -- "$TESTS_BIN/stress-threads" 8 1000 1000
    [ "$status" -eq 0 ]
    [[ "$output" == *"failures 0"* ]]
    between "$(recorded_ms SIGINT)" 1400 1950 SIGINT
}

@test "a storm of foreign signals during a ladder changes nothing" {
    # The program handles SIGUSR1 too; 2000 of them arrive while the ladder
    # runs.  Perl: it starts in milliseconds, so the 0.4 s are its own, not
    # an interpreter's start-up.
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_GRACE_PERIOD=0.4 LIBGUARD_INTERRUPT=signal -- \
        perl -MTime::HiRes=time,sleep -e '
my ($t0, $sent, @got) = (time, 0);
$SIG{USR1} = sub {};
$SIG{INT} = sub { push @got, "SIGINT " . int((time - $t0) * 1000) };
$SIG{TERM} = sub { push @got, "SIGTERM " . int((time - $t0) * 1000) };
my $storm_end;
while (time - $t0 < 1.5) {
    if ($sent < 2000) { kill "USR1", $$; $sent++; sleep 0.0005; $storm_end = time }
}
print "$_\n" for @got;
print "STORM_END ", int(($storm_end - $t0) * 1000), " $sent\n";
'
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    # The storm lasts past the second step (or all 2000 were sent before);
    # the grace period between the steps is what it must not change.
    [ "$(recorded_ms STORM_END)" -gt "$(recorded_ms SIGTERM)" ] || [[ "$output" == *"STORM_END "*" 2000"* ]] ||
        { echo "the storm ended before the second step: $output"; false; }
    between "$(recorded_ms SIGINT)" 0 900 SIGINT
    between $(( $(recorded_ms SIGTERM) - $(recorded_ms SIGINT) )) 380 900 "SIGTERM after SIGINT"
}

@test "RLIMIT_NOFILE of 4: both guards still work" {
    # eat reports progress until it is past 50 MiB: the memory step comes
    # first, the time guard's 1.5 s later, however slowly memory faults in.
    run env LIBGUARD_TIMEOUT=1.5 LIBGUARD_INTERRUPT=signal LIBGUARD_MAX_MEMORY=50M \
        bash -c "for fd in /proc/\$\$/fd/*; do fd=\${fd##*/}; [ \$fd -le 2 ] || eval \"exec \$fd>&-\"; done
                 ulimit -n 4; LD_PRELOAD='$GUARD_PRELOAD' exec '$TESTS_BIN/eat' 400 300 3000 --free --over 50"
    [ "$status" -eq 0 ]
    [[ "$output" == *"over the limit of 50 MiB"* ]]
    [[ "$output" == *"no progress for"* ]]
}

@test "every descriptor taken by the program: the step's line gives that cause, not 'has it ended?'" {
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal -- \
        bash -c "ulimit -n 16; exec perl -e '\$SIG{INT} = q(IGNORE); my @f;
            while (open(my \$h, q(<), q(/dev/null))) { push @f, \$h }
            print STDERR qq(full\n); 1 while 1'"
    [ "$status" -eq 143 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"main thread: cannot read /proc/self/task/"*"/stat (Too many open files)"* ]] \
        || { echo "$output"; false; }
    [[ "$output" != *"has it ended"* ]]
}

@test "a small RLIMIT_AS: the program runs and the guard fires" {
    [ -z "${GUARD_SANITIZED:-}" ] || skip "a sanitizer's shadow memory needs a large address space"
    run guarded LIBGUARD_TIMEOUT=0.3 LIBGUARD_INTERRUPT=signal -- sh -c "ulimit -v 20000; exec '$TESTS_BIN/ladder' --max 800"
    [ "$status" -eq 0 ]
    between "$(recorded_ms SIGINT)" 280 700 SIGINT
}

@test "a setting as long as the kernel allows is refused in one short line" {
    # 128 KiB is the most one environment string may hold (MAX_ARG_STRLEN).
    run guarded "LIBGUARD_LOG=/$(head -c 131000 /dev/zero | tr '\0' a)" -- "$TESTS_BIN/print-env"
    [ "$status" -eq 125 ]
    [ "${#output}" -lt 1000 ]
    [[ "$output" == *"LIBGUARD_LOG="*"is too long for a file path"* ]]
}

@test "libguard listed twice in LD_PRELOAD: one guard, one set of steps" {
    run env LD_PRELOAD="$GUARD_PRELOAD:$GUARD_SO" LIBGUARD_TIMEOUT=0.3 LIBGUARD_INTERRUPT=signal "$TESTS_BIN/ladder" --max 800
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | grep -c '^SIGINT ')" -eq 1 ]
}

@test "changing LIBGUARD_* at run time changes nothing (the constructor read them)" {
    # Perl writes %ENV through to the process environment; it starts in
    # milliseconds, so the 0.4 s are its own.
    run guarded LIBGUARD_TIMEOUT=0.4 LIBGUARD_INTERRUPT=signal -- perl -MTime::HiRes=time -e '
$ENV{LIBGUARD_TIMEOUT} = "100";
delete $ENV{LIBGUARD_INTERRUPT};
system("sh", "-c", "test \"\$LIBGUARD_TIMEOUT\" = 100") == 0 or print "environment unchanged\n";
my $t0 = time;
$SIG{INT} = sub { print "interrupted ", int((time - $t0) * 1000), "\n"; exit 0 };
1 while time - $t0 < 2;
print "not interrupted\n";
'
    [[ "$output" != *"environment unchanged"* ]]
    [[ "$output" == *"interrupted"* ]]
    [[ "$output" != *"not interrupted"* ]]
}

@test "posix_spawn and vfork children are guarded by their own clock" {
    # The parent reports progress (through the symbol the shim exports) while
    # it waits, so only the child's own guard fires.
    run guarded LIBGUARD_TIMEOUT=0.5 LIBGUARD_INTERRUPT=signal -- python3 -c '
import ctypes, subprocess, sys, time
progress = ctypes.CDLL(None).guard_progress
# subprocess starts children with vfork or posix_spawn where it can
p = subprocess.Popen([sys.argv[1], "--max", "1200"], stdout=subprocess.PIPE, text=True)
while p.poll() is None:
    progress()
    time.sleep(0.02)
print(p.stdout.read(), end="")
' "$TESTS_BIN/ladder"
    [ "$status" -eq 0 ]
    # the child started after Python did; its SIGINT comes 0.5 s into its own run
    between "$(recorded_ms SIGINT)" 480 1000 SIGINT
}
