#include "keyfile.h"
#include "errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_HEX_LEN (2 * VIGIL_KEY_BYTES)

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int keyfile_parse(const char *text, size_t len, uint8_t key[VIGIL_KEY_BYTES], char *err,
                  size_t errlen)
{
    size_t n = 0;

    while (n < len && is_hex((unsigned char)text[n]))
        n++;
    if (n > KEY_HEX_LEN) {
        errbuf_set(err, errlen, "expected 64 hex digits on one line, found more (%zu)", n);
        return -EINVAL;
    }
    if (n < KEY_HEX_LEN) {
        if (n < len && !is_space((unsigned char)text[n]))
            errbuf_set(
                err, errlen,
                "expected 64 hex digits on one line, found a non-hex character at column %zu",
                n + 1);
        else
            errbuf_set(err, errlen, "expected 64 hex digits on one line, found %zu", n);
        return -EINVAL;
    }
    for (size_t i = n; i < len; i++) {
        if (!is_space((unsigned char)text[i])) {
            errbuf_set(
                err, errlen,
                "expected 64 hex digits on one line, found more text after them (at byte %zu)",
                i + 1);
            return -EINVAL;
        }
    }
    if (sodium_hex2bin(key, VIGIL_KEY_BYTES, text, KEY_HEX_LEN, NULL, NULL, NULL) != 0) {
        errbuf_set(err, errlen, "expected 64 hex digits on one line");
        return -EINVAL;
    }
    return 0;
}

int keyfile_read_private(const char *path, const char *what, char *buf, size_t size,
                         size_t *len_out, char *err, size_t errlen)
{
    struct stat st;
    size_t len = 0;
    int fd, r = 0;

    if (size == 0)
        return -EINVAL;
    /* O_NONBLOCK: a FIFO at the path must not hang the open; fstat rejects it next. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot open %s %s: %s", what, path, strerror(-r));
        return r;
    }
    if (fstat(fd, &st) < 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot stat %s %s: %s", what, path, strerror(-r));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = -EINVAL;
        errbuf_set(err, errlen, "%s %s is not a regular file", what, path);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        r = -EPERM;
        errbuf_set(err, errlen,
                   "%s %s is readable by group or others (mode %04o); run: chmod 600 %s", what,
                   path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    /* Read one byte more than fits, to tell a full buffer from a longer file. */
    while (len < size) {
        ssize_t n = read(fd, buf + len, size - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            errbuf_set(err, errlen, "cannot read %s %s: %s", what, path, strerror(-r));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len >= size) {
        r = -EFBIG;
        errbuf_set(err, errlen, "%s %s is longer than %zu bytes", what, path, size - 1);
        goto out;
    }
    buf[len] = '\0';
    *len_out = len;
out:
    if (r < 0)
        sodium_memzero(buf, size);
    close(fd);
    return r;
}

int keyfile_load(const char *path, uint8_t key[VIGIL_KEY_BYTES], char *err, size_t errlen)
{
    char buf[KEYFILE_MAX_BYTES + 1];
    char why[256];
    size_t len = 0;
    int r;

    r = keyfile_read_private(path, "key file", buf, sizeof(buf), &len, err, errlen);
    if (r == -ENOENT)
        errbuf_set(err, errlen, "cannot open key file %s: %s (make one with: vigilctl keygen %s)",
                   path, strerror(ENOENT), path);
    else if (r == -EFBIG)
        errbuf_set(
            err, errlen,
            "key file %s: expected 64 hex digits on one line, but the file is longer than %d "
            "bytes (make one with: vigilctl keygen %s)",
            path, KEYFILE_MAX_BYTES, path);
    if (r < 0)
        return r == -EFBIG ? -EINVAL : r;

    r = keyfile_parse(buf, len, key, why, sizeof(why));
    if (r < 0)
        errbuf_set(err, errlen, "key file %s: %s (make one with: vigilctl keygen %s)", path, why,
                   path);
    sodium_memzero(buf, sizeof(buf));
    return r;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Make a rename or a creation in the directory of `path` durable. Best effort:
 * the key itself is already fsynced, and some file systems refuse fsync on a
 * directory. */
static void fsync_parent_dir(const char *path)
{
    char dir[VIGIL_PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd;

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else if ((size_t)(slash - path) < sizeof(dir))
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    else
        return;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)fsync(fd);
    close(fd);
}

/* Fill an open, empty file with the key text and make it durable. The mode is
 * set with fchmod so that it is 0600 whatever the umask was. */
static int write_key_fd(int fd, const char *text, size_t len, const char *path, char *err,
                        size_t errlen)
{
    int r;

    if (fchmod(fd, 0600) < 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot set mode 0600 on %s: %s", path, strerror(-r));
        return r;
    }
    r = write_all(fd, text, len);
    if (r < 0) {
        errbuf_set(err, errlen, "cannot write key file %s: %s", path, strerror(-r));
        return r;
    }
    if (fsync(fd) < 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot write key file %s: fsync: %s", path, strerror(-r));
        return r;
    }
    return 0;
}

/* Without force: create path exclusively, so an existing key is never lost. */
static int generate_new(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    int fd, r;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        r = -errno;
        if (r == -EEXIST)
            errbuf_set(err, errlen,
                       "key file %s already exists; not replacing it (use --force to replace it)",
                       path);
        else
            errbuf_set(err, errlen, "cannot create key file %s: %s", path, strerror(-r));
        return r;
    }
    r = write_key_fd(fd, text, len, path, err, errlen);
    if (close(fd) < 0 && r == 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot write key file %s: %s", path, strerror(-r));
    }
    if (r < 0) {
        unlink(path); /* never leave a half-written key behind */
        return r;
    }
    fsync_parent_dir(path);
    return 0;
}

/* With force: write a temporary file beside path and rename it over path, so
 * that a reader sees either the old key or the new one, never a mix. */
static int generate_replace(const char *path, const char *text, size_t len, char *err,
                            size_t errlen)
{
    char tmp[VIGIL_PATH_MAX];
    int fd, r;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
        errbuf_set(err, errlen, "cannot write key file %s: %s", path, strerror(ENAMETOOLONG));
        return -ENAMETOOLONG;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot create a temporary file beside %s: %s", path, strerror(-r));
        return r;
    }
    r = write_key_fd(fd, text, len, tmp, err, errlen);
    if (close(fd) < 0 && r == 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot write key file %s: %s", tmp, strerror(-r));
    }
    if (r == 0 && rename(tmp, path) < 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot replace %s: %s", path, strerror(-r));
    }
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    fsync_parent_dir(path);
    return 0;
}

int keyfile_generate(const char *path, int force, char *err, size_t errlen)
{
    uint8_t key[VIGIL_KEY_BYTES];
    char text[KEY_HEX_LEN + 2]; /* hex digits, '\n', NUL */
    int r;

    if (sodium_init() < 0) {
        errbuf_set(err, errlen, "cannot initialise libsodium to make a random key");
        return -EIO;
    }
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(text, sizeof(text), key, sizeof(key));
    text[KEY_HEX_LEN] = '\n';
    text[KEY_HEX_LEN + 1] = '\0';

    if (force)
        r = generate_replace(path, text, KEY_HEX_LEN + 1, err, errlen);
    else
        r = generate_new(path, text, KEY_HEX_LEN + 1, err, errlen);

    sodium_memzero(key, sizeof(key));
    sodium_memzero(text, sizeof(text));
    return r;
}
