/* data-file PATH MS
 *
 * Opens PATH for its data (the lowest free descriptor: fd 2 when the
 * program was started with stderr closed), writes "record N" lines to it
 * while MS milliseconds pass, then prints "done" on stdout and exits 0.
 * Its data file must hold its records and nothing else. */
#include <fcntl.h>

#include "record.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: data-file PATH MS\n");
        return 2;
    }
    record_start();
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 1;
    printf("data fd %d\n", fd);
    fflush(stdout);
    long max = atol(argv[2]);
    for (int n = 0; record_ms() < max; n++) {
        char line[32];
        int len = snprintf(line, sizeof line, "record %d\n", n);
        if (write(fd, line, (size_t)len) != len)
            return 1;
        struct timespec step = { 0, 50 * 1000 * 1000 };
        nanosleep(&step, NULL);
    }
    printf("done\n");
    return 0;
}
