/* Symbols of objects already mapped, read from their own dynamic symbol
 * tables, without the dynamic loader.
 *
 * dlsym costs a short-lived process thousands of instructions, and a
 * lookup that fails costs more (the loader formats an error message, in
 * memory it allocates): too much for questions every guarded process asks,
 * such as "is CPython here?" or "where is the vDSO's clock?".  These read
 * the objects' hash tables instead: a few hundred instructions, nothing
 * allocated, no lock but dl_iterate_phdr's.
 *
 * They find a symbol's default version only, and no IFUNC or TLS symbol:
 * where they find nothing, a caller that must be sure still asks dlsym. */
#ifndef LIBGUARD_ELFSYM_H
#define LIBGUARD_ELFSYM_H

#include <link.h>
#include <stdint.h>

/* `name` as defined by the object loaded at `bias` whose dynamic section
 * is `dyn` (from its PT_DYNAMIC): its address, or NULL. */
void *lg_elf_symbol(uintptr_t bias, const ElfW(Dyn) *dyn, const char *name);

/* `name` as defined by an object of the process, in load order (the main
 * program first; the vDSO, which is no part of the lookup scope, aside):
 * its address, or NULL. */
void *lg_loaded_symbol(const char *name);

/* `name` as defined by the vDSO: its address, or NULL (no vDSO). */
void *lg_vdso_symbol(const char *name);

#endif
