/*
 * Poisoned native memory for the tests (LD_PRELOAD; glibc). Every block malloc, realloc (its new
 * part), posix_memalign, aligned_alloc, memalign and valloc hand out is filled with 0xFF bytes,
 * and every block is filled again before free releases it. 0xFFFFFFFF is a NaN as a float and as a
 * double, and NaN survives every arithmetic operation (x - x, 0 * x), so a computation that reads
 * memory it never wrote, or memory already given back, yields NaN instead of whatever the last
 * owner left there: a bug that depends on the machine becomes one that shows everywhere.
 * calloc is left alone (it must return zeros). See docs/training.md, "Gradients".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <string.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void __libc_free(void *ptr);

#define POISON 0xFF

static void *poisoned(void *p, size_t size) {
    if (p != NULL) {
        memset(p, POISON, size);
    }
    return p;
}

void *malloc(size_t size) {
    return poisoned(__libc_malloc(size), size);
}

void free(void *ptr) {
    if (ptr != NULL) {
        memset(ptr, POISON, malloc_usable_size(ptr));
    }
    __libc_free(ptr);
}

void *realloc(void *ptr, size_t size) {
    size_t old = ptr != NULL ? malloc_usable_size(ptr) : 0;
    char *p = __libc_realloc(ptr, size);
    if (p != NULL && size > old) {
        memset(p + old, POISON, size - old);
    }
    return p;
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    void *p = poisoned(__libc_memalign(alignment, size), size);
    if (p == NULL && size != 0) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    return poisoned(__libc_memalign(alignment, size), size);
}

void *memalign(size_t alignment, size_t size) {
    return poisoned(__libc_memalign(alignment, size), size);
}

void *valloc(size_t size) {
    return poisoned(__libc_valloc(size), size);
}
