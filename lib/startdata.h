/* Small state that processes touch as they start and end.
 *
 * A short-lived process pays for libguard mostly in page faults, and each
 * page of .bss it touches first is one: .bss is large (the guard slots, the
 * watchdog's table, 4 KiB paths), and the linker scatters small variables
 * between the large ones.  The variables on the way every process goes (the
 * constructors, the wrappers of main and exit), and those an armed process
 * sets as it starts, are therefore kept in .data, whose page the dynamic
 * loader has already written while relocating the library.  Only small
 * ones: bench/run counts the page faults per process. */
#ifndef LIBGUARD_STARTDATA_H
#define LIBGUARD_STARTDATA_H

#define LG_START_DATA __attribute__((section(".data.lg_start")))

#endif
