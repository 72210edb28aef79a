/* keyfile_parse() (the cluster key, /etc/vigil/authkey) and token_parse()
 * (the witness token file): small secrets read from files an admin edits.
 *
 * Input: one mode byte (bit 0: 0 key file, 1 token file), then the file's text.
 * Properties:
 *   - key file: an accepted text is 64 hex digits and blanks only; the key is
 *     those digits (any case); the key written as hex and a newline parses to
 *     the same key;
 *   - token: an accepted token is 1..WITNESS_TOKEN_MAX printable ASCII bytes
 *     without blanks, found as is in the text, and parses again to itself;
 *   - a refusal says why. */
#include <ctype.h>
#include <errno.h>

#include "../src/common/keyfile.h"
#include "../src/witness/witness.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (sodium_init() < 0)
        abort();
    return 0;
}

static void check_key_file(const char *text, size_t len)
{
    uint8_t key[VIGIL_KEY_BYTES], key2[VIGIL_KEY_BYTES];
    char err[256] = "", hex[2 * VIGIL_KEY_BYTES + 2];
    int r = keyfile_parse(text, len, key, err, sizeof(err));

    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL && err[0], "refusal %d without a message", r);
        return;
    }
    FUZZ_CHECK(len >= 2 * VIGIL_KEY_BYTES, "accepted a %zu-byte text", len);
    for (size_t i = 2 * VIGIL_KEY_BYTES; i < len; i++)
        FUZZ_CHECK(isspace((unsigned char)text[i]), "accepted byte %02x after the key",
                   (unsigned char)text[i]);
    sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
    for (size_t i = 0; i < 2 * VIGIL_KEY_BYTES; i++)
        FUZZ_CHECK(tolower((unsigned char)text[i]) == hex[i],
                   "key differs from its text at digit %zu", i);
    strcat(hex, "\n");
    FUZZ_CHECK(keyfile_parse(hex, strlen(hex), key2, err, sizeof(err)) == 0 &&
                   memcmp(key, key2, sizeof(key)) == 0,
               "the key written back does not parse to itself: %s", err);
}

static void check_token_file(const char *text, size_t len)
{
    char tok[WITNESS_TOKEN_MAX + 1], tok2[WITNESS_TOKEN_MAX + 1], err[256] = "";
    int r = token_parse(text, len, tok, sizeof(tok), err, sizeof(err));

    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL && err[0], "refusal %d without a message", r);
        return;
    }
    size_t n = strnlen(tok, sizeof(tok));
    FUZZ_CHECK(n >= 1 && n <= WITNESS_TOKEN_MAX, "token of %zu bytes", n);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)tok[i] > 0x20 && (unsigned char)tok[i] < 0x7f,
                   "token byte %zu is %02x", i, (unsigned char)tok[i]);
    FUZZ_CHECK(memmem(text, len, tok, n), "the token is not in the text");
    FUZZ_CHECK(token_parse(tok, n, tok2, sizeof(tok2), err, sizeof(err)) == 0 &&
                   strcmp(tok, tok2) == 0,
               "the token does not parse to itself: %s", err);
    /* a buffer one byte short of the token is refused, never overrun */
    char *small = malloc(n);
    if (!small)
        abort();
    FUZZ_CHECK(token_parse(text, len, small, n, err, sizeof(err)) == -EINVAL,
               "a %zu-byte token fit a %zu-byte buffer", n, n);
    free(small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size < 1)
        return 0;
    text = fuzz_dup(data + 1, size - 1);
    if (data[0] & 1)
        check_token_file(text, size - 1);
    else
        check_key_file(text, size - 1);
    free(text);
    return 0;
}
