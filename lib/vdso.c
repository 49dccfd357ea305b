/* The kernel's clock_gettime, called directly.  glibc's wrapper adds about
 * 1.5 ns to the ~3 ns of a coarse clock read, half of guard_progress()'s
 * budget of 5 ns.  Resolved by the watchdog as it starts, not in every
 * process that loads libguard (most arm nothing); until then, and where
 * there is no vDSO, lg_coarse_now() uses libc's clock_gettime, which reads
 * the same clock.
 *
 * Found by reading the vDSO's own symbol table (it is mapped in every
 * process, its address in the auxiliary vector): dlopen and dlsym cost a
 * short-lived process some 12,000 instructions, this a few hundred. */
#include "config.h"

#include <elf.h>
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/auxv.h>

#include "clock.h"

/* libc's, through a function of ours: taking the address of an imported
 * function would cost every process a symbol lookup as it loads. */
static int libc_clock(clockid_t id, struct timespec *t)
{
    return clock_gettime(id, t);
}

_Atomic(lg_clock_fn) lg_coarse_clock = libc_clock;
uint64_t lg_coarse_lag;

void lg_measure_coarse_lag(void)
{
    struct timespec res;
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0)
        lg_coarse_lag = 2 * lg_ns_of(&res);
}

static void *vdso_symbol(const char *name)
{
    const char *image = (const char *)getauxval(AT_SYSINFO_EHDR);
    if (!image)
        return NULL;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)image;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(image + eh->e_phoff);
    const ElfW(Dyn) *dyn = NULL;
    uintptr_t bias = 0;
    bool loaded = false;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !loaded) {
            bias = (uintptr_t)image + ph[i].p_offset - ph[i].p_vaddr;
            loaded = true;
        } else if (ph[i].p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *)(image + ph[i].p_offset);
        }
    }
    if (!dyn || !loaded)
        return NULL;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Word) *hash = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        if (dyn->d_tag == DT_SYMTAB)
            symtab = (const ElfW(Sym) *)(bias + dyn->d_un.d_ptr);
        else if (dyn->d_tag == DT_STRTAB)
            strtab = (const char *)(bias + dyn->d_un.d_ptr);
        else if (dyn->d_tag == DT_HASH)
            hash = (const ElfW(Word) *)(bias + dyn->d_un.d_ptr);
    }
    if (!symtab || !strtab || !hash)
        return NULL;
    for (ElfW(Word) i = 0; i < hash[1]; i++) /* nchain: the number of symbols */
        if (ELF64_ST_TYPE(symtab[i].st_info) == STT_FUNC && symtab[i].st_shndx != SHN_UNDEF
            && strcmp(strtab + symtab[i].st_name, name) == 0)
            return (void *)(bias + symtab[i].st_value);
    return NULL;
}

void lg_find_vdso_clock(void)
{
    if (atomic_load_explicit(&lg_coarse_clock, memory_order_relaxed) != libc_clock)
        return; /* found before the fork that made this process */
    lg_clock_fn fn = (lg_clock_fn)vdso_symbol("__vdso_clock_gettime");
    struct timespec t;
    /* Trust it only once it has answered. */
    if (fn && fn(CLOCK_MONOTONIC_COARSE, &t) == 0)
        atomic_store_explicit(&lg_coarse_clock, fn, memory_order_relaxed);
}
