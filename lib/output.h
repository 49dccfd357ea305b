/* Descriptors libguard may write to without waiting and without writing into
 * the program's data: the program's stderr, and the files the settings name
 * (LIBGUARD_LOG, LIBGUARD_REPORT).  Every call here returns at once, whoever
 * reads (or does not read) on the other side; a write that cannot be done
 * now is not done (the caller drops its line).  Thread-safe; no lock, no
 * allocation, and no descriptor kept open between calls. */
#ifndef LIBGUARD_OUTPUT_H
#define LIBGUARD_OUTPUT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct lg_settings;

/* Write to the program's stderr: the file fd 2 was when libguard was loaded
 * (noted by a constructor of this file, before any other), and only while
 * fd 2 is still that file.  Returns the bytes written, or -1 with
 * errno: EBADF when fd 2 is closed or is no longer the stderr the program
 * started with, EAGAIN when a pipe or terminal has no room now. */
ssize_t lg_output_stderr(const void *buf, size_t len);

/* Append to the file at `path` (created 0644 if missing), opened for this
 * one write with O_NONBLOCK: a FIFO with no reader (ENXIO) or no room
 * (EAGAIN) is an error, not a wait.  A short write is -1 with EAGAIN. */
ssize_t lg_output_append(const char *path, const void *buf, size_t len);
/* The same, but only to a file that exists (else ENOENT). */
ssize_t lg_output_append_existing(const char *path, const void *buf, size_t len);

/* At start-up: can libguard append to the file LIBGUARD_LOG / LIBGUARD_REPORT
 * name?  Appends one line per bad path to `errors` ("libguard: VAR='PATH'
 * cannot be written: WHY") and returns how many. */
int lg_output_check_paths(const struct lg_settings *s, char *errors, size_t size);

/* A write to the file of `variable` failed with `err`: say so on stderr, the
 * first time only (*said). */
void lg_output_lost(_Atomic bool *said, const char *variable, const char *path, int err);

#endif
