/* conf_parse_duration() and conf_format_duration(): every timing value of
 * vigil.conf ("200ms", "1.5s", "2m").
 *
 * Input: one mode byte, then
 *   bit 0 clear: a string to parse;
 *   bit 0 set:   8 bytes, a number of microseconds to format and parse back.
 * Properties:
 *   - an accepted duration is 1 .. VG_USEC_INFINITY - 1 microseconds, and
 *     formats to a text that parses back to it;
 *   - every value from 1 to VG_USEC_INFINITY - 1 formats to a text that
 *     parses back to it (docs/configuration.md: only zero and values past
 *     2^64 us are refused). */
#include <errno.h>
#include <inttypes.h>

#include "../src/conf/conf.h"
#include "fuzz.h"

static void round_trip(vg_usec_t v)
{
    char buf[64];
    vg_usec_t back = 0;
    int r;

    conf_format_duration(v, buf, sizeof(buf));
    r = conf_parse_duration(buf, &back);
    FUZZ_CHECK(r == 0 && back == v, "%" PRIu64 "us formats as '%s', which parses to %d/%" PRIu64, v,
               buf, r, back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        struct fuzz_reader rd = {data + 1, size - 1};
        vg_usec_t v = fuzz_take(&rd, 8);

        if (v != 0 && v != VG_USEC_INFINITY)
            round_trip(v);
        return 0;
    }

    char *s = fuzz_cstr(data + 1, size - 1);
    vg_usec_t v = 0;
    int r = conf_parse_duration(s, &v);

    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE, "'%s': returned %d", s, r);
    if (r == 0) {
        FUZZ_CHECK(v >= 1 && v < VG_USEC_INFINITY, "'%s' parsed to %" PRIu64, s, v);
        round_trip(v);
    }
    free(s);
    return 0;
}
