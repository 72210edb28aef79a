/* The witness token: read from a private file, kept as a hash, checked in
 * constant time on every request. */
#include "witness.h"
#include "../common/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A token file holds the token, a line end and maybe stray blanks. */
#define TOKEN_FILE_MAX (WITNESS_TOKEN_MAX + 64)

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Printable ASCII without the space: what an HTTP header carries unchanged. */
static bool is_token_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

int token_parse(const char *text, size_t len, char *tok, size_t toksize, char *err, size_t errlen)
{
    size_t start = 0, end = len;

    while (start < end && is_blank((unsigned char)text[start]))
        start++;
    while (end > start && is_blank((unsigned char)text[end - 1]))
        end--;
    if (start == end) {
        errbuf_set(err, errlen,
                   "the token is empty (put one token on one line, e.g. the output "
                   "of: openssl rand -hex 32)");
        return -EINVAL;
    }
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || c == '\r') {
            errbuf_set(err, errlen, "expected one token on one line, found more lines");
            return -EINVAL;
        }
        if (!is_token_char(c)) {
            errbuf_set(err, errlen,
                       "the token has a blank or a character that is not printable ASCII at byte "
                       "%zu (it is sent in an HTTP header)",
                       i + 1);
            return -EINVAL;
        }
    }
    if (end - start > WITNESS_TOKEN_MAX || end - start >= toksize) {
        errbuf_set(err, errlen, "the token is longer than %d bytes", WITNESS_TOKEN_MAX);
        return -EINVAL;
    }
    memcpy(tok, text + start, end - start);
    tok[end - start] = '\0';
    return 0;
}

static void token_hash(const char *token, size_t len, uint8_t out[crypto_generichash_BYTES])
{
    crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)token, len, NULL, 0);
}

int token_add(struct witness_tokens *t, const char *token)
{
    if (t->n >= WITNESS_MAX_TOKENS)
        return -ENOSPC;
    token_hash(token, strlen(token), t->hash[t->n]);
    t->n++;
    return 0;
}

int token_file_load(struct witness_tokens *t, const char *path, char *err, size_t errlen)
{
    char buf[TOKEN_FILE_MAX + 1];
    char tok[WITNESS_TOKEN_MAX + 1];
    char why[256];
    struct stat st;
    size_t len = 0;
    int fd, r;

    if (t->n >= WITNESS_MAX_TOKENS) {
        errbuf_set(err, errlen, "token file %s: at most %d token files", path, WITNESS_MAX_TOKENS);
        return -ENOSPC;
    }
    /* O_NONBLOCK: a FIFO at the path must not hang the open; fstat rejects it next. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot open token file %s: %s", path, strerror(-r));
        return r;
    }
    if (fstat(fd, &st) < 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot stat token file %s: %s", path, strerror(-r));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = -EINVAL;
        errbuf_set(err, errlen, "token file %s is not a regular file", path);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        r = -EPERM;
        errbuf_set(err, errlen,
                   "token file %s is open to group or others (mode %04o); run: chmod 600 %s", path,
                   (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    while (len < sizeof(buf)) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            errbuf_set(err, errlen, "cannot read token file %s: %s", path, strerror(-r));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > TOKEN_FILE_MAX) {
        r = -EINVAL;
        errbuf_set(err, errlen,
                   "token file %s: longer than %d bytes; expected one token on one line", path,
                   TOKEN_FILE_MAX);
        goto out;
    }
    r = token_parse(buf, len, tok, sizeof(tok), why, sizeof(why));
    if (r < 0) {
        errbuf_set(err, errlen, "token file %s: %s", path, why);
        goto out;
    }
    r = token_add(t, tok);
out:
    sodium_memzero(buf, sizeof(buf));
    sodium_memzero(tok, sizeof(tok));
    close(fd);
    return r;
}

int token_check(const struct witness_tokens *t, const char *authorization)
{
    static const char scheme[] = "Bearer";
    uint8_t h[crypto_generichash_BYTES];
    const char *p = authorization, *end;
    int found = -EACCES;

    if (!p)
        return -EACCES;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, scheme, sizeof(scheme) - 1) != 0)
        return -EACCES;
    p += sizeof(scheme) - 1;
    if (*p != ' ' && *p != '\t')
        return -EACCES;
    while (*p == ' ' || *p == '\t')
        p++;
    end = p + strlen(p);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (end == p)
        return -EACCES;
    token_hash(p, (size_t)(end - p), h);
    /* No early exit: every stored hash is compared. */
    for (int i = 0; i < t->n; i++) {
        if (sodium_memcmp(h, t->hash[i], sizeof(h)) == 0 && found < 0)
            found = i;
    }
    return found;
}
