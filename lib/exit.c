/* Knowing when the program begins to exit, so that no step fires while it
 * runs its exit handlers: the explicit exit() call, and the return from
 * main() (glibc's start-up calls exit internally, so main is wrapped).  And
 * knowing when the main thread leaves with pthread_exit() while the process
 * lives on (lastthread.c).  All forward to the real functions, exit once the
 * description of a step in flight is logged (stack.c). */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lastthread.h"
#include "report.h"
#include "stack.h"
#include "startdata.h"
#include "watchdog.h"

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void),
                        void (*)(void), void *);

static main_fn real_main LG_START_DATA;

static int main_then_exiting(int argc, char **argv, char **envp)
{
    int status = real_main(argc, argv, envp);
    atomic_store(&lg_exiting, true);
    lg_stack_wait_logged();
    lg_report_exit(status);
    return status;
}

__attribute__((visibility("default"))) int
__libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                  void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    start_fn real_start = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    real_main = main;
    return real_start(main_then_exiting, argc, argv, init, fini, rtld_fini, stack_end);
}

__attribute__((visibility("default"), noreturn)) void exit(int status)
{
    static void (*real_exit)(int) LG_START_DATA;
    atomic_store(&lg_exiting, true);
    lg_stack_wait_logged();
    lg_report_exit(status);
    if (!real_exit)
        real_exit = (void (*)(int))dlsym(RTLD_NEXT, "exit");
    if (!real_exit)
        _exit(status);
    real_exit(status);
    __builtin_unreachable();
}

__attribute__((visibility("default"), noreturn)) void pthread_exit(void *value)
{
    static void (*real_pthread_exit)(void *) LG_START_DATA;
    if (syscall(SYS_gettid) == getpid())
        lg_main_leaving();
    if (!real_pthread_exit)
        real_pthread_exit = (void (*)(void *))dlsym(RTLD_NEXT, "pthread_exit");
    if (!real_pthread_exit)
        syscall(SYS_exit, 0); /* cannot happen: libc has it */
    real_pthread_exit(value);
    __builtin_unreachable();
}
