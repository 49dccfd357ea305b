/* print-env [--exec PROGRAM ARG...]
 *
 * Prints whether libguard is loaded in this process and its LD_PRELOAD, then
 * optionally executes PROGRAM (to see what an exec'd child inherits). */
#include <dlfcn.h>

#include "record.h"

int main(int argc, char **argv)
{
    const char *preload = getenv("LD_PRELOAD");
    printf("libguard %s\nLD_PRELOAD=%s\n",
           dlsym(RTLD_DEFAULT, "guard_progress") ? "loaded" : "not loaded",
           preload ? preload : "(unset)");
    fflush(stdout);
    if (argc > 2 && !strcmp(argv[1], "--exec")) {
        execv(argv[2], argv + 2);
        perror("execv");
        return 127;
    }
    return 0;
}
