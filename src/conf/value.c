/* Syntax of plain values: numbers, booleans, names and free text. Pure. */
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
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

int conf_parse_duration_or_zero(const char *s, vg_usec_t *out)
{
    size_t zeros = strspn(s, "0.");
    int r;

    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    r = conf_parse_duration(s, out);
    /* -ERANGE is zero or too large; only zeros before the unit is zero */
    if (r == -ERANGE && s[0] == '0' && !(s[zeros] >= '0' && s[zeros] <= '9')) {
        *out = 0;
        return 0;
    }
    return r;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* An OCF provider or type: it becomes a path component
 * (/usr/lib/ocf/resource.d/PROVIDER/TYPE), so a plain file name. */
static bool ocf_part_valid(const char *s, size_t n)
{
    if (n == 0 || n >= VIGIL_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

int conf_parse_ocf_agent(const char *s, char provider[VIGIL_NAME_MAX], char type[VIGIL_NAME_MAX],
                         const char **why)
{
    const char *p = s + 4, *colon;

    if (strncmp(s, "ocf:", 4) != 0) {
        *why = "not an OCF agent name: expected ocf:PROVIDER:TYPE, e.g. ocf:heartbeat:IPaddr2";
        return -EINVAL;
    }
    colon = strchr(p, ':');
    if (!colon) {
        *why = "no type: expected ocf:PROVIDER:TYPE, e.g. ocf:heartbeat:IPaddr2";
        return -EINVAL;
    }
    if (!ocf_part_valid(p, (size_t)(colon - p)) || !ocf_part_valid(colon + 1, strlen(colon + 1))) {
        *why = "the provider and the type are each 1 to 63 characters of A-Z a-z 0-9 _ . -, "
               "not starting with '.': expected ocf:PROVIDER:TYPE, e.g. ocf:heartbeat:IPaddr2";
        return -EINVAL;
    }
    memcpy(provider, p, (size_t)(colon - p));
    provider[colon - p] = '\0';
    snprintf(type, VIGIL_NAME_MAX, "%s", colon + 1);
    return 0;
}

/* It becomes the variable OCF_RESKEY_<name> in the agent's environment. */
bool conf_ocf_param_name_valid(const char *s)
{
    size_t n = 0;

    if (s[0] >= '0' && s[0] <= '9')
        return false;
    for (; s[n]; n++)
        if (!is_alnum(s[n]) && s[n] != '_')
            return false;
    return n >= 1 && n < VIGIL_NAME_MAX;
}

/* The unit types systemctl can start and stop (those the systemd agent takes). */
static const char *const unit_types[] = {"service",   "socket", "target", "mount",
                                         "automount", "swap",   "timer",  "path"};

int conf_check_unit(const char *s, const char **why)
{
    const char *dot = strrchr(s, '.'), *at = strchr(s, '@');
    size_t n = strlen(s);
    bool typed = false;

    if (n >= CONF_UNIT_MAX) {
        *why = "too long: a unit name has at most 255 characters";
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum(s[i]) && !strchr(":-_.\\@", s[i])) {
            *why = "a unit name holds only letters, digits and : - _ . \\ @";
            return -EINVAL;
        }
    }
    if (s[0] == '-' || s[0] == '.' || s[0] == '@') {
        *why = "a unit name does not start with '-', '.' or '@'";
        return -EINVAL;
    }
    for (size_t i = 0; dot && i < sizeof(unit_types) / sizeof(unit_types[0]); i++)
        typed = typed || strcmp(dot + 1, unit_types[i]) == 0;
    if (!typed) {
        *why = "expected a unit that can be started and stopped, with its type: NAME.service, "
               ".socket, .target, .mount, .automount, .swap, .timer or .path";
        return -EINVAL;
    }
    if (at && (strchr(at + 1, '@') || at + 1 == dot)) {
        *why = "a template unit needs exactly one '@' and an instance after it, e.g. "
               "app@1.service";
        return -EINVAL;
    }
    return 0;
}
