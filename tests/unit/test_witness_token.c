/* The witness token: the file's text, the file's mode, the header check. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/witness/witness.h"

static char err[512];
static char dir[] = "/tmp/test_witness_token.XXXXXX";

static int parse(const char *text, char *tok, size_t size)
{
    err[0] = '\0';
    return token_parse(text, strlen(text), tok, size, err, sizeof(err));
}

static void test_parse(void **state)
{
    char tok[WITNESS_TOKEN_MAX + 1];

    assert_int_equal(parse("s3cret\n", tok, sizeof(tok)), 0);
    assert_string_equal(tok, "s3cret");
    assert_int_equal(parse("  s3cret \r\n", tok, sizeof(tok)), 0);
    assert_string_equal(tok, "s3cret");
    assert_int_equal(parse("abc=+/~._-", tok, sizeof(tok)), 0);
    assert_string_equal(tok, "abc=+/~._-");

    assert_int_equal(parse("", tok, sizeof(tok)), -EINVAL);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(parse(" \n\n", tok, sizeof(tok)), -EINVAL);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(parse("one\ntwo\n", tok, sizeof(tok)), -EINVAL);
    assert_non_null(strstr(err, "more lines"));
    assert_int_equal(parse("two words", tok, sizeof(tok)), -EINVAL);
    assert_non_null(strstr(err, "byte 4"));
    assert_int_equal(parse("caf\xc3\xa9", tok, sizeof(tok)), -EINVAL);
    assert_int_equal(parse("a\x01z", tok, sizeof(tok)), -EINVAL);

    char *big = malloc(WITNESS_TOKEN_MAX + 2);
    memset(big, 'x', WITNESS_TOKEN_MAX + 1);
    big[WITNESS_TOKEN_MAX + 1] = '\0';
    assert_int_equal(parse(big, tok, sizeof(tok)), -EINVAL);
    assert_non_null(strstr(err, "longer than"));
    big[WITNESS_TOKEN_MAX] = '\0';
    assert_int_equal(parse(big, tok, sizeof(tok)), 0);
    free(big);
}

static void test_check(void **state)
{
    struct witness_tokens t = {0};

    assert_int_equal(token_add(&t, "first-token"), 0);
    assert_int_equal(token_add(&t, "second-token"), 0);
    assert_int_equal(token_check(&t, "Bearer first-token"), 0);
    assert_int_equal(token_check(&t, "Bearer second-token"), 1);
    assert_int_equal(token_check(&t, "bearer   first-token  "), 0);
    assert_int_equal(token_check(&t, "BEARER\tsecond-token"), 1);

    assert_int_equal(token_check(&t, NULL), -EACCES);
    assert_int_equal(token_check(&t, ""), -EACCES);
    assert_int_equal(token_check(&t, "Bearer"), -EACCES);
    assert_int_equal(token_check(&t, "Bearer "), -EACCES);
    assert_int_equal(token_check(&t, "Bearerfirst-token"), -EACCES);
    assert_int_equal(token_check(&t, "Basic first-token"), -EACCES);
    assert_int_equal(token_check(&t, "first-token"), -EACCES);
    assert_int_equal(token_check(&t, "Bearer first-toke"), -EACCES);
    assert_int_equal(token_check(&t, "Bearer first-token2"), -EACCES);
    assert_int_equal(token_check(&t, "Bearer FIRST-TOKEN"), -EACCES);
    assert_int_equal(token_check(&t, "Bearer first-token second-token"), -EACCES);

    struct witness_tokens none = {0};
    assert_int_equal(token_check(&none, "Bearer x"), -EACCES);
}

static void test_add_bounded(void **state)
{
    struct witness_tokens t = {0};

    for (int i = 0; i < WITNESS_MAX_TOKENS; i++)
        assert_int_equal(token_add(&t, "t"), 0);
    assert_int_equal(token_add(&t, "t"), -ENOSPC);
}

/* Write a file in the test directory with the given mode; returns its path. */
static const char *make_file(const char *name, const char *text, mode_t mode)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static int load(struct witness_tokens *t, const char *path)
{
    err[0] = '\0';
    return token_file_load(t, path, err, sizeof(err));
}

static void test_file(void **state)
{
    struct witness_tokens t = {0};
    const char *p;
    char big[2000];

    p = make_file("good", "s3cret-token\n", 0600);
    assert_int_equal(load(&t, p), 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(token_check(&t, "Bearer s3cret-token"), 0);

    p = make_file("readonly", "ro-token", 0400);
    assert_int_equal(load(&t, p), 0);
    assert_int_equal(token_check(&t, "Bearer ro-token"), 1);

    p = make_file("group", "s3cret-token\n", 0640);
    assert_int_equal(load(&t, p), -EPERM);
    assert_non_null(strstr(err, "chmod 600"));
    assert_non_null(strstr(err, p));
    p = make_file("world", "s3cret-token\n", 0604);
    assert_int_equal(load(&t, p), -EPERM);
    assert_non_null(strstr(err, "chmod 600"));

    p = make_file("empty", "", 0600);
    assert_int_equal(load(&t, p), -EINVAL);
    assert_non_null(strstr(err, "empty"));
    p = make_file("blank", "\n", 0600);
    assert_int_equal(load(&t, p), -EINVAL);
    assert_non_null(strstr(err, "empty"));
    p = make_file("twolines", "a\nb\n", 0600);
    assert_int_equal(load(&t, p), -EINVAL);

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    p = make_file("big", big, 0600);
    assert_int_equal(load(&t, p), -EINVAL);
    assert_non_null(strstr(err, "longer than"));

    assert_int_equal(load(&t, dir), -EINVAL); /* a directory */
    assert_non_null(strstr(err, "not a regular file"));
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    assert_int_equal(load(&t, missing), -ENOENT);
    assert_non_null(strstr(err, missing));
    assert_int_equal(t.n, 2); /* nothing refused was added */
}

static int setup(void **state)
{
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    const char *names[] = {"good",  "readonly", "group",    "world",
                           "empty", "blank",    "twolines", "big"};
    char path[256];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_add_bounded),
        cmocka_unit_test(test_file),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
