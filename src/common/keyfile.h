/* The cluster key file (/etc/vigil/authkey): one line of 64 hex digits (256
 * random bits), mode 0600. Written by `vigilctl keygen`, read by vigild. */
#ifndef VIGIL_KEYFILE_H
#define VIGIL_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"

/* keyfile_load reads at most this much: 64 hex digits, a line end and some
 * stray blanks. A longer file is refused as not a key file. */
#define KEYFILE_MAX_BYTES 256

/* Decode the text of a key file (pure). 0, or -EINVAL with a reason in err. */
int keyfile_parse(const char *text, size_t len, uint8_t key[VIGIL_KEY_BYTES], char *err,
                  size_t errlen);

/* Read a key file; refuses one that group or others can read (-EPERM), that
 * is not a regular file, or that does not parse. err gets a full sentence
 * naming the path and what to do. */
int keyfile_load(const char *path, uint8_t key[VIGIL_KEY_BYTES], char *err, size_t errlen);

/* Read a small private file (a key, a token) into buf, NUL-terminated, its
 * length in *len. Refuses what is not a regular file (-EINVAL), what group or
 * others can access (-EPERM, with the chmod to run), and more than size - 1
 * bytes (-EFBIG). `what` names the file in messages ("key file"). */
int keyfile_read_private(const char *path, const char *what, char *buf, size_t size, size_t *len,
                         char *err, size_t errlen);

/* Write a new random key (libsodium randombytes) to path with mode 0600,
 * refusing to overwrite an existing file unless force. */
int keyfile_generate(const char *path, int force, char *err, size_t errlen);

#endif
