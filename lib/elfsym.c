/* Symbols of mapped objects from their own hash tables (elfsym.h).  Byte
 * loops of our own rather than strcmp: the first call of a libc function
 * from libguard costs a symbol lookup, the very thing spared here. */
#include "config.h"
#include "elfsym.h"

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/auxv.h>

#define VERSYM_HIDDEN_BIT 0x8000 /* a version other than the default */

struct table {
    uintptr_t bias;
    const ElfW(Sym) *symtab;
    const char *strtab;
    const ElfW(Half) *versym;     /* NULL: the object has no versions */
    const uint32_t *gnu_hash;     /* DT_GNU_HASH, or else */
    const ElfW(Word) *sysv_hash;  /* DT_HASH (the vDSO's) */
};

static bool same_name(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The loader rewrites most objects' dynamic entries as addresses; the
 * vDSO's, and on some architectures every object's, stay offsets from the
 * load bias. */
static uintptr_t address_of(uintptr_t bias, ElfW(Addr) ptr)
{
    return ptr < bias ? bias + ptr : ptr;
}

static bool read_table(uintptr_t bias, const ElfW(Dyn) *dyn, struct table *t)
{
    *t = (struct table){ .bias = bias };
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t at = address_of(bias, dyn->d_un.d_ptr);
        switch (dyn->d_tag) {
        case DT_SYMTAB: t->symtab = (const ElfW(Sym) *)at; break;
        case DT_STRTAB: t->strtab = (const char *)at; break;
        case DT_VERSYM: t->versym = (const ElfW(Half) *)at; break;
        case DT_GNU_HASH: t->gnu_hash = (const uint32_t *)at; break;
        case DT_HASH: t->sysv_hash = (const ElfW(Word) *)at; break;
        default: break;
        }
    }
    return t->symtab && t->strtab && (t->gnu_hash || t->sysv_hash);
}

/* Symbol i is `name`, defined here, exported, in its default version, and
 * an address a caller can use as it is. */
static bool defines(const struct table *t, ElfW(Word) i, const char *name)
{
    const ElfW(Sym) *s = &t->symtab[i];
    /* st_info is read the same in both ELF classes */
    int type = ELF32_ST_TYPE(s->st_info), bind = ELF32_ST_BIND(s->st_info);
    if (s->st_shndx == SHN_UNDEF || type == STT_GNU_IFUNC || type == STT_TLS)
        return false;
    if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
        return false;
    if (t->versym && ((t->versym[i] & VERSYM_HIDDEN_BIT) || t->versym[i] == VER_NDX_LOCAL))
        return false;
    return same_name(t->strtab + s->st_name, name);
}

static void *in_gnu_hash(const struct table *t, const char *name)
{
    const uint32_t *h = t->gnu_hash;
    uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2], shift = h[3];
    if (!nbuckets || !bloom_size)
        return NULL;
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)&h[4];
    const uint32_t *buckets = (const uint32_t *)&bloom[bloom_size];
    const uint32_t *chain = &buckets[nbuckets];
    uint32_t hash = 5381;
    for (const char *c = name; *c; c++)
        hash = hash * 33 + (unsigned char)*c;
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    ElfW(Addr) word = bloom[(hash / bits) % bloom_size];
    ElfW(Addr) mask = ((ElfW(Addr))1 << (hash % bits)) | ((ElfW(Addr))1 << ((hash >> shift) % bits));
    if ((word & mask) != mask)
        return NULL; /* most objects answer here: not defined */
    uint32_t i = buckets[hash % nbuckets];
    if (i < symoffset)
        return NULL;
    for (;; i++) {
        uint32_t chained = chain[i - symoffset];
        if ((chained | 1) == (hash | 1) && defines(t, i, name))
            return (void *)(t->bias + t->symtab[i].st_value);
        if (chained & 1)
            return NULL; /* the end of this bucket's chain */
    }
}

static void *in_sysv_hash(const struct table *t, const char *name)
{
    const ElfW(Word) *h = t->sysv_hash;
    ElfW(Word) nbucket = h[0];
    const ElfW(Word) *bucket = &h[2], *chain = &bucket[nbucket];
    uint32_t hash = 0;
    for (const char *c = name; *c; c++) {
        hash = (hash << 4) + (unsigned char)*c;
        uint32_t high = hash & 0xf0000000u;
        hash ^= high >> 24;
        hash &= ~high;
    }
    if (!nbucket)
        return NULL;
    for (ElfW(Word) i = bucket[hash % nbucket]; i != STN_UNDEF; i = chain[i])
        if (defines(t, i, name))
            return (void *)(t->bias + t->symtab[i].st_value);
    return NULL;
}

void *lg_elf_symbol(uintptr_t bias, const ElfW(Dyn) *dyn, const char *name)
{
    struct table t;
    if (!dyn || !read_table(bias, dyn, &t))
        return NULL;
    return t.gnu_hash ? in_gnu_hash(&t, name) : in_sysv_hash(&t, name);
}

void *lg_vdso_symbol(const char *name)
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
    return loaded ? lg_elf_symbol(bias, dyn, name) : NULL;
}

struct search {
    const char *name;
    const char *vdso; /* its ELF header, or NULL */
    void *found;
};

static int search_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct search *s = data;
    /* The vDSO is listed too, but is no part of the lookup scope: its
     * clock_gettime is not the one dlsym gives. */
    if (s->vdso && (const char *)info->dlpi_phdr == s->vdso + ((const ElfW(Ehdr) *)s->vdso)->e_phoff)
        return 0;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
            continue;
        const ElfW(Dyn) *dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        s->found = lg_elf_symbol(info->dlpi_addr, dyn, s->name);
        return s->found != NULL; /* non-zero ends the walk */
    }
    return 0;
}

void *lg_loaded_symbol(const char *name)
{
    struct search s = { .name = name, .vdso = (const char *)getauxval(AT_SYSINFO_EHDR) };
    dl_iterate_phdr(search_object, &s);
    return s.found;
}
