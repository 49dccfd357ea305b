/* The status file's lines.  See status.h. */
#include "config.h"
#include "status.h"

#include <stdio.h>
#include <string.h>

size_t lg_status_line(enum lg_status_event event, pid_t pid, char *buf, size_t size)
{
    int n;
    switch (event) {
    case LG_STATUS_STARTED: n = snprintf(buf, size, "started %d\n", (int)pid); break;
    case LG_STATUS_SKIPPED: n = snprintf(buf, size, "skipped %d\n", (int)pid); break;
    case LG_STATUS_TIME: n = snprintf(buf, size, "time\n"); break;
    default: n = snprintf(buf, size, "memory\n"); break;
    }
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

void lg_status_parse_line(const char *line, pid_t pid, struct lg_status *s)
{
    int who;
    if (sscanf(line, "started %d", &who) == 1) {
        s->started += who == pid;
    } else if (sscanf(line, "skipped %d", &who) == 1) {
        s->skipped += who == pid;
    } else if (strcmp(line, "time") == 0) {
        s->last = LG_STATUS_TIME;
        s->steps++;
    } else if (strcmp(line, "memory") == 0) {
        s->last = LG_STATUS_MEMORY;
        s->steps++;
    }
}

struct lg_status lg_status_read(const char *path, pid_t pid)
{
    struct lg_status s = { 0 };
    FILE *f = fopen(path, "re");
    if (!f)
        return s;
    char line[64];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        lg_status_parse_line(line, pid, &s);
    }
    fclose(f);
    return s;
}
