/* What the fuzz targets share: a property check that aborts with a message
 * (libFuzzer then keeps the input as a crash artifact), a NUL-terminated copy
 * of the input, a reader for structured input, and the key and cluster the
 * seeds are made with (gen_seeds.c). docs/fuzzing.md says what each target
 * checks. */
#ifndef VIGIL_FUZZ_H
#define VIGIL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The seeds' cluster and key; the wire target decodes under these. */
#define FUZZ_CLUSTER "web"
static const uint8_t fuzz_key[32] = {
    0x76, 0x69, 0x67, 0x69, 0x6c, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x30,
    0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x21,
};

/* A property that must hold for every input; on failure print what and
 * where, then abort so that libFuzzer saves the input. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "\n%s:%d: property failed: %s\n  ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The input as a C string in a buffer of exactly size + 1 bytes, so that
 * AddressSanitizer sees any read past the terminator. An embedded NUL ends
 * the string early, as it would for a caller holding a C string. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The input in a buffer of exactly its size (no terminator): what a parser
 * taking (text, len) must never read past. */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);

    if (!s)
        abort();
    memcpy(s, data, size);
    return s;
}

/* Structured input: fields taken from the front of the bytes, zero once
 * they run out, so that every input means something. */
struct fuzz_reader {
    const uint8_t *p;
    size_t left;
};

static inline uint64_t fuzz_take(struct fuzz_reader *r, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        v <<= 8;
        if (r->left) {
            v |= *r->p++;
            r->left--;
        }
    }
    return v;
}

/* Up to n bytes into dst (zero-filled beyond the input). */
static inline void fuzz_take_bytes(struct fuzz_reader *r, void *dst, size_t n)
{
    size_t k = n < r->left ? n : r->left;

    memcpy(dst, r->p, k);
    memset((uint8_t *)dst + k, 0, n - k);
    r->p += k;
    r->left -= k;
}

#endif
