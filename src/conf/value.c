/* Syntax of plain values: numbers, booleans, names and free text. Pure. */
#include "parse.h"

#include <errno.h>
#include <strings.h>

/* A decimal number, digits only (no sign, blanks, or 0x), in [min, max].
 * -EINVAL when not a number, -ERANGE when a number outside the range. */
int conf_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    bool big = false;

    if (!s || *s == '\0')
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        if (v > (max - (unsigned long)(*s - '0')) / 10)
            big = true;
        else
            v = v * 10 + (unsigned long)(*s - '0');
    }
    if (big || v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int conf_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* Node and link names: 1..63 characters of [A-Za-z0-9_.-]. They appear in
 * logs, JSON and command lines, so they need no quoting anywhere. */
bool conf_name_valid(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return n >= 1 && n < VIGIL_NAME_MAX;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF) without C0/C1 control characters: safe to print and to put in JSON. */
bool conf_text_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    while (*s) {
        unsigned cp;
        int extra;

        if (*s < 0x80) {
            if (*s < 0x20 || *s == 0x7f)
                return false;
            s++;
            continue;
        }
        if (*s >= 0xc2 && *s <= 0xdf) {
            cp = *s & 0x1fu;
            extra = 1;
        } else if (*s >= 0xe0 && *s <= 0xef) {
            cp = *s & 0x0fu;
            extra = 2;
        } else if (*s >= 0xf0 && *s <= 0xf4) {
            cp = *s & 0x07u;
            extra = 3;
        } else {
            return false;
        }
        s++;
        for (int i = 0; i < extra; i++, s++) {
            if ((*s & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (*s & 0x3fu);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
            return false;
    }
    return true;
}
