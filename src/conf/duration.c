/* Durations in vigil.conf always carry a unit ("200ms", "1.5s", "2m"): a bare
 * number is too easy to misread between milliseconds and seconds. */
#include "conf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct unit {
    const char *name;
    vg_usec_t usec;
};

/* Largest first, for conf_format_duration(). */
static const struct unit units[] = {
    {"h", 3600 * VG_USEC_PER_SEC},
    {"m", 60 * VG_USEC_PER_SEC},
    {"s", VG_USEC_PER_SEC},
    {"ms", VG_USEC_PER_MSEC},
    {"us", 1},
};

#define N_UNITS (sizeof(units) / sizeof(units[0]))
#define FRAC_DIGITS_MAX 9 /* keeps frac * unit below 2^64 */

static const struct unit *find_unit(const char *s)
{
    for (size_t i = 0; i < N_UNITS; i++)
        if (strcmp(s, units[i].name) == 0)
            return &units[i];
    return NULL;
}

int conf_parse_duration(const char *s, vg_usec_t *out)
{
    vg_usec_t whole = 0, frac = 0, scale = 1, total;
    const struct unit *u;
    bool big = false;
    const char *p;

    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    for (p = s; *p >= '0' && *p <= '9'; p++) {
        if (whole > (UINT64_MAX - (vg_usec_t)(*p - '0')) / 10)
            big = true; /* whole * 10 + digit would not fit (found by fuzz_duration) */
        else
            whole = whole * 10 + (vg_usec_t)(*p - '0');
    }
    if (*p == '.') {
        const char *f = ++p;
        size_t n;

        while (*p >= '0' && *p <= '9')
            p++;
        n = (size_t)(p - f);
        if (n == 0)
            return -EINVAL;
        while (n > 0 && f[n - 1] == '0')
            n--;
        if (n > FRAC_DIGITS_MAX)
            return -EINVAL;
        for (size_t i = 0; i < n; i++) {
            frac = frac * 10 + (vg_usec_t)(f[i] - '0');
            scale *= 10;
        }
    }
    while (*p == ' ' || *p == '\t')
        p++;
    u = find_unit(p);
    if (!u)
        return -EINVAL;
    if (big || whole > (VG_USEC_INFINITY - 1) / u->usec)
        return -ERANGE;
    total = whole * u->usec;
    if (frac) {
        vg_usec_t part = frac * u->usec;

        if (part % scale)
            return -EINVAL; /* finer than a microsecond */
        part /= scale;
        if (total > VG_USEC_INFINITY - 1 - part)
            return -ERANGE;
        total += part;
    }
    if (total == 0)
        return -ERANGE;
    *out = total;
    return 0;
}

const char *conf_format_duration(vg_usec_t usec, char *buf, size_t len)
{
    const struct unit *u = &units[N_UNITS - 1];

    for (size_t i = 0; i < N_UNITS; i++) {
        if (usec >= units[i].usec && usec % units[i].usec == 0) {
            u = &units[i];
            break;
        }
    }
    snprintf(buf, len, "%" PRIu64 "%s", usec / u->usec, u->name);
    return buf;
}
