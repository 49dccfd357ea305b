/* libFuzzer harness for the option parser (lib/options.c): the input is an
 * environment, one NAME=VALUE per line, or raw values for each parser.  Every
 * input must give a result without a crash, a leak or undefined behaviour,
 * and every problem line must be one short line starting "libguard: ".
 *
 *   make fuzz FUZZ_ARGS=-max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

static void check_lines(const char *errors, int count)
{
    int lines = 0;
    for (const char *p = errors; *p; lines++) {
        if (strncmp(p, "libguard: ", 10) != 0)
            abort();
        const char *nl = strchr(p, '\n');
        if (!nl)
            break; /* truncated at the end of the buffer */
        if (nl - p > 600)
            abort(); /* one short line, whatever the value */
        p = nl + 1;
    }
    if (lines > count + 1) /* + "and N more problems" */
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';

    /* Every parser on the whole input. */
    uint64_t ns;
    bool b;
    int signo;
    struct lg_size sz;
    lg_parse_duration(text, &ns);
    lg_parse_duration_ms(text, &ns);
    lg_parse_size(text, &sz);
    lg_parse_bool(text, &b);
    char why[256];
    lg_parse_signal(text, &signo, why, sizeof why);
    lg_parse_signal_number(text, &signo);

    /* The input as an environment, each line prefixed LIBGUARD_ when it is
     * not already, so the table sees mostly its own names. */
    char *envp[65];
    int n = 0;
    for (char *save, *line = strtok_r(text, "\n", &save); line && n < 64;
         line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line) + 10;
        envp[n] = malloc(len);
        snprintf(envp[n], len, "%s%s", strncmp(line, "LIBGUARD_", 9) ? "LIBGUARD_" : "", line);
        n++;
    }
    envp[n] = NULL;
    struct lg_settings s;
    char errors[4096];
    lg_settings_defaults(&s);
    int count = lg_settings_from_env(&s, envp, errors, sizeof errors);
    check_lines(errors, count);
    for (int i = 0; i < n; i++)
        free(envp[i]);
    free(text);
    return 0;
}
