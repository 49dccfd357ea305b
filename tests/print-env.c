/* print-env [--fds] [--exec PROGRAM ARG...]
 *
 * Prints whether libguard is loaded in this process and its LD_PRELOAD, then
 * optionally executes PROGRAM (to see what an exec'd child inherits).  With
 * --fds it prints its open descriptors instead: "fds 0 1 2". */
#include <dirent.h>
#include <dlfcn.h>

#include "record.h"

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--fds")) {
        DIR *d = opendir("/proc/self/fd");
        int mine = dirfd(d), fds[256], n = 0;
        for (struct dirent *e; (e = readdir(d)) && n < 256;)
            if (e->d_name[0] != '.' && atoi(e->d_name) != mine)
                fds[n++] = atoi(e->d_name);
        closedir(d);
        printf("fds");
        for (int i = 0; i < n; i++) /* sorted, small n */
            for (int j = i + 1; j < n; j++)
                if (fds[j] < fds[i]) { int t = fds[i]; fds[i] = fds[j]; fds[j] = t; }
        for (int i = 0; i < n; i++)
            printf(" %d", fds[i]);
        printf("\n");
        return 0;
    }
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
