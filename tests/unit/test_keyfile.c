/* Unit tests of src/common/keyfile.c: parsing, loading with its permission
 * check, and generation (mode, exclusivity, randomness). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/common/keyfile.h"

#define GOOD_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

struct fixture {
    char dir[256];
    char path[300];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "%s/vigil-test-keyfile.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/authkey", f->dir);
    *state = f;
    return 0;
}

/* Remove every file the test made, then the directory. */
static int teardown(void **state)
{
    struct fixture *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    char p[512];

    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
        if (unlink(p) < 0)
            rmdir(p);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static size_t count_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int parse(const char *text, uint8_t key[VIGIL_KEY_BYTES], char *err, size_t errlen)
{
    return keyfile_parse(text, strlen(text), key, err, errlen);
}

static void test_parse_good(void **state)
{
    uint8_t key[VIGIL_KEY_BYTES];
    char err[256] = "";

    assert_int_equal(parse(GOOD_HEX, key, err, sizeof(err)), 0);
    for (int i = 0; i < VIGIL_KEY_BYTES; i++)
        assert_int_equal(key[i], i);
    assert_int_equal(parse(GOOD_HEX "\n", key, err, sizeof(err)), 0);
    assert_int_equal(parse(GOOD_HEX "\r\n", key, err, sizeof(err)), 0);
    assert_int_equal(parse(GOOD_HEX "  \n\n", key, err, sizeof(err)), 0);

    assert_int_equal(parse("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n",
                           key, err, sizeof(err)),
                     0);
    assert_int_equal(key[31], 0x1f);
}

static void test_parse_short(void **state)
{
    uint8_t key[VIGIL_KEY_BYTES];
    char err[256] = "";

    assert_int_equal(parse("0011\n", key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "expected 64 hex digits"));
    assert_non_null(strstr(err, "found 4"));

    assert_int_equal(parse("", key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "found 0"));

    /* 63 digits */
    assert_int_equal(keyfile_parse(GOOD_HEX, 63, key, err, sizeof(err)), -EINVAL);
}

static void test_parse_long(void **state)
{
    uint8_t key[VIGIL_KEY_BYTES];
    char err[256] = "";

    assert_int_equal(parse(GOOD_HEX "0\n", key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "found more"));
    assert_int_equal(parse(GOOD_HEX GOOD_HEX, key, err, sizeof(err)), -EINVAL);
}

static void test_parse_non_hex(void **state)
{
    uint8_t key[VIGIL_KEY_BYTES];
    char err[256] = "";
    char text[] = GOOD_HEX "\n";

    text[10] = 'g';
    assert_int_equal(parse(text, key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "non-hex character at column 11"));

    /* leading blank, "0x" prefix, and a NUL byte inside the text */
    assert_int_equal(parse(" " GOOD_HEX, key, err, sizeof(err)), -EINVAL);
    assert_int_equal(parse("0x" GOOD_HEX, key, err, sizeof(err)), -EINVAL);
    memcpy(text, GOOD_HEX "\n", sizeof(text));
    text[5] = '\0';
    assert_int_equal(keyfile_parse(text, sizeof(text) - 1, key, err, sizeof(err)), -EINVAL);
}

static void test_parse_trailing_garbage(void **state)
{
    uint8_t key[VIGIL_KEY_BYTES];
    char err[256] = "";

    assert_int_equal(parse(GOOD_HEX " x\n", key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "more text after them"));
    assert_int_equal(parse(GOOD_HEX "\n" GOOD_HEX "\n", key, err, sizeof(err)), -EINVAL);
    assert_int_equal(parse(GOOD_HEX "\n# comment\n", key, err, sizeof(err)), -EINVAL);
}

/* Messages are cut to errlen, and err may be absent. */
static void test_parse_small_err(void **state)
{
    uint8_t key[VIGIL_KEY_BYTES];
    char err[8];

    memset(err, 'x', sizeof(err));
    assert_int_equal(parse("zz", key, err, sizeof(err)), -EINVAL);
    assert_int_equal(strlen(err), sizeof(err) - 1);
    assert_int_equal(parse("zz", key, NULL, 0), -EINVAL);
}

static void test_load_mode_0644_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t key[VIGIL_KEY_BYTES];
    char err[1024] = "", want[1024];

    write_file(f->path, GOOD_HEX "\n", 0644);
    assert_int_equal(keyfile_load(f->path, key, err, sizeof(err)), -EPERM);
    snprintf(want, sizeof(want),
             "key file %s is readable by group or others (mode 0644); run: chmod 600 %s", f->path,
             f->path);
    assert_string_equal(err, want);

    write_file(f->path, GOOD_HEX "\n", 0640);
    assert_int_equal(keyfile_load(f->path, key, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, "(mode 0640)"));
}

static void test_load_mode_0600_accepted(void **state)
{
    struct fixture *f = *state;
    uint8_t key[VIGIL_KEY_BYTES];
    char err[1024] = "";

    write_file(f->path, GOOD_HEX "\n", 0600);
    assert_int_equal(keyfile_load(f->path, key, err, sizeof(err)), 0);
    for (int i = 0; i < VIGIL_KEY_BYTES; i++)
        assert_int_equal(key[i], i);

    write_file(f->path, GOOD_HEX "\n", 0400);
    assert_int_equal(keyfile_load(f->path, key, err, sizeof(err)), 0);
}

static void test_load_missing(void **state)
{
    struct fixture *f = *state;
    uint8_t key[VIGIL_KEY_BYTES];
    char err[1024] = "", want[1024];

    assert_int_equal(keyfile_load(f->path, key, err, sizeof(err)), -ENOENT);
    snprintf(want, sizeof(want), "cannot open key file %s: No such file or directory", f->path);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "vigilctl keygen"));
}

static void test_load_bad_content(void **state)
{
    struct fixture *f = *state;
    uint8_t key[VIGIL_KEY_BYTES];
    char err[1024] = "", want[1024];
    char big[KEYFILE_MAX_BYTES + 64];

    write_file(f->path, "not a key\n", 0600);
    assert_int_equal(keyfile_load(f->path, key, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "key file %s: expected 64 hex digits on one line", f->path);
    assert_non_null(strstr(err, want));
    snprintf(want, sizeof(want), "(make one with: vigilctl keygen %s)", f->path);
    assert_non_null(strstr(err, want));

    /* a key followed by a lot of blanks: too big to be a key file */
    memset(big, ' ', sizeof(big) - 1);
    memcpy(big, GOOD_HEX, 64);
    big[sizeof(big) - 1] = '\0';
    write_file(f->path, big, 0600);
    assert_int_equal(keyfile_load(f->path, key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "longer than"));
}

static void test_load_not_regular(void **state)
{
    struct fixture *f = *state;
    uint8_t key[VIGIL_KEY_BYTES];
    char err[1024] = "";

    assert_int_equal(mkdir(f->path, 0700), 0);
    assert_int_equal(keyfile_load(f->path, key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "not a regular file"));
    rmdir(f->path);

    /* a FIFO must be refused without blocking in open() */
    assert_int_equal(mkfifo(f->path, 0600), 0);
    assert_int_equal(keyfile_load(f->path, key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "not a regular file"));
}

/* The shared reader names the kind of file it reads and bounds the size. */
static void test_read_private(void **state)
{
    struct fixture *f = *state;
    char buf[8], err[1024] = "";
    size_t len = 99;

    write_file(f->path, "secret\n", 0600);
    assert_int_equal(
        keyfile_read_private(f->path, "token file", buf, sizeof(buf), &len, err, sizeof(err)), 0);
    assert_int_equal(len, 7);
    assert_string_equal(buf, "secret\n");

    write_file(f->path, "secret!!\n", 0600);
    assert_int_equal(
        keyfile_read_private(f->path, "token file", buf, sizeof(buf), &len, err, sizeof(err)),
        -EFBIG);
    assert_non_null(strstr(err, "token file"));
    assert_non_null(strstr(err, "longer than 7 bytes"));

    write_file(f->path, "secret\n", 0604);
    assert_int_equal(
        keyfile_read_private(f->path, "token file", buf, sizeof(buf), &len, err, sizeof(err)),
        -EPERM);
    assert_non_null(strstr(err, "token file"));
    assert_non_null(strstr(err, "chmod 600"));
}

static void assert_key_file(const char *path)
{
    struct stat st;
    char text[128];
    uint8_t key[VIGIL_KEY_BYTES];
    char err[1024] = "";
    int fd;
    ssize_t n;

    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    n = read(fd, text, sizeof(text));
    close(fd);
    assert_int_equal(n, 65);
    assert_int_equal(text[64], '\n');
    assert_int_equal(keyfile_load(path, key, err, sizeof(err)), 0);
}

static void read_key(const char *path, uint8_t key[VIGIL_KEY_BYTES])
{
    char err[1024] = "";

    assert_int_equal(keyfile_load(path, key, err, sizeof(err)), 0);
}

/* The mode is 0600 even when the umask would let anyone read the file. */
static void test_generate_mode_umask0(void **state)
{
    struct fixture *f = *state;
    char err[1024] = "";
    mode_t old = umask(0);

    assert_int_equal(keyfile_generate(f->path, 0, err, sizeof(err)), 0);
    assert_key_file(f->path);
    assert_int_equal(keyfile_generate(f->path, 1, err, sizeof(err)), 0);
    assert_key_file(f->path);
    umask(old);
}

static void test_generate_refuses_existing(void **state)
{
    struct fixture *f = *state;
    uint8_t before[VIGIL_KEY_BYTES], after[VIGIL_KEY_BYTES];
    char err[1024] = "";

    assert_int_equal(keyfile_generate(f->path, 0, err, sizeof(err)), 0);
    read_key(f->path, before);
    assert_int_equal(keyfile_generate(f->path, 0, err, sizeof(err)), -EEXIST);
    assert_non_null(strstr(err, f->path));
    assert_non_null(strstr(err, "--force"));
    read_key(f->path, after);
    assert_memory_equal(before, after, sizeof(before));

    /* --force replaces it, and leaves no temporary file behind */
    assert_int_equal(keyfile_generate(f->path, 1, err, sizeof(err)), 0);
    read_key(f->path, after);
    assert_memory_not_equal(before, after, sizeof(before));
    assert_int_equal(count_dir_entries(f->dir), 1);
}

static void test_generate_keys_differ(void **state)
{
    struct fixture *f = *state;
    uint8_t a[VIGIL_KEY_BYTES], b[VIGIL_KEY_BYTES];
    char other[400], err[1024] = "";

    snprintf(other, sizeof(other), "%s/other", f->dir);
    assert_int_equal(keyfile_generate(f->path, 0, err, sizeof(err)), 0);
    assert_int_equal(keyfile_generate(other, 0, err, sizeof(err)), 0);
    read_key(f->path, a);
    read_key(other, b);
    assert_memory_not_equal(a, b, sizeof(a));
}

static void test_generate_bad_dir(void **state)
{
    struct fixture *f = *state;
    char path[400], err[1024] = "";

    snprintf(path, sizeof(path), "%s/no/such/dir/authkey", f->dir);
    assert_int_equal(keyfile_generate(path, 0, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, path));
    assert_int_equal(keyfile_generate(path, 1, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_short),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_parse_non_hex),
        cmocka_unit_test(test_parse_trailing_garbage),
        cmocka_unit_test(test_parse_small_err),
        cmocka_unit_test_setup_teardown(test_load_mode_0644_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_mode_0600_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_not_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_mode_umask0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_refuses_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_keys_differ, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_bad_dir, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
