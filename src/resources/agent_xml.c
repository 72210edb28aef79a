/* The XML scanner under the meta-data reader (agent_xml.h). It walks the
 * buffer once, never reads past its end, and checks as it goes what a
 * well-formed document needs at the token level; nesting is the caller's. */
#include "../common/errbuf.h"
#include "agent_xml.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define REF_MAX 12 /* "#x10FFFF" and the names fit */

void xml_init(struct xml_scanner *x, const char *buf, size_t len)
{
    x->start = x->p = buf;
    x->end = buf + len;
}

size_t xml_line(const struct xml_scanner *x, const char *at)
{
    size_t line = 1;

    for (const char *p = x->start; p < at && p < x->end; p++)
        if (*p == '\n')
            line++;
    return line;
}

bool xml_is(const char *name, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(name, lit, len) == 0;
}

const struct xml_attr *xml_attr(const struct xml_token *t, const char *lit)
{
    for (size_t i = 0; i < t->n_attrs; i++)
        if (xml_is(t->attrs[i].name, t->attrs[i].name_len, lit))
            return &t->attrs[i];
    return NULL;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (unsigned char)c >= 0x80;
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool starts(const struct xml_scanner *x, const char *p, const char *lit)
{
    size_t n = strlen(lit);

    return (size_t)(x->end - p) >= n && memcmp(p, lit, n) == 0;
}

/* Position of lit at or after p, or NULL. */
static const char *find(const struct xml_scanner *x, const char *p, const char *lit)
{
    size_t n = strlen(lit);

    for (; (size_t)(x->end - p) >= n; p++)
        if (memcmp(p, lit, n) == 0)
            return p;
    return NULL;
}

static int fail_at(const struct xml_scanner *x, const char *at, char *err, size_t errlen,
                   const char *what)
{
    return errbuf_fail(err, errlen, -EINVAL, "line %zu: %s", xml_line(x, at), what);
}

/* The code point of a numeric reference body ("#38", "#x26"), or -1. */
static long ref_number(const char *s, size_t n)
{
    bool hex = n > 1 && (s[1] == 'x' || s[1] == 'X');
    size_t i = hex ? 2 : 1;
    long v = 0;

    if (i >= n)
        return -1;
    for (; i < n; i++) {
        int d;

        if (s[i] >= '0' && s[i] <= '9')
            d = s[i] - '0';
        else if (hex && s[i] >= 'a' && s[i] <= 'f')
            d = s[i] - 'a' + 10;
        else if (hex && s[i] >= 'A' && s[i] <= 'F')
            d = s[i] - 'A' + 10;
        else
            return -1;
        v = v * (hex ? 16 : 10) + d;
        if (v > 0x10FFFF)
            return -1;
    }
    /* XML's Char: no NUL or other C0 control but blanks, no surrogates */
    if ((v < 0x20 && v != '\t' && v != '\n' && v != '\r') || (v >= 0xD800 && v <= 0xDFFF) ||
        v == 0xFFFE || v == 0xFFFF)
        return -1;
    return v;
}

/* The character a named reference body stands for, or 0. */
static char ref_named(const char *s, size_t n)
{
    static const struct {
        const char *name;
        char c;
    } refs[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};

    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
        if (xml_is(s, n, refs[i].name))
            return refs[i].c;
    return 0;
}

/* Length of the reference at p ('&' ... ';'), or 0 when it is not a valid one. */
static size_t ref_len(const char *p, const char *end)
{
    const char *semi;
    size_t n;

    if ((size_t)(end - p) < 3)
        return 0;
    semi = memchr(p + 1, ';', (size_t)(end - p - 1) < REF_MAX ? (size_t)(end - p - 1) : REF_MAX);
    if (!semi)
        return 0;
    n = (size_t)(semi - p - 1);
    if (n == 0 || (p[1] == '#' ? ref_number(p + 1, n) < 0 : !ref_named(p + 1, n)))
        return 0;
    return n + 2;
}

/* Check the references and characters of a stretch of text or an attribute
 * value: '&' only as a valid reference, no '<', no NUL. */
static int check_chars(const struct xml_scanner *x, const char *p, const char *end, char *err,
                       size_t errlen)
{
    while (p < end) {
        if (*p == '\0')
            return fail_at(x, p, err, errlen, "a NUL byte");
        if (*p == '<')
            return fail_at(x, p, err, errlen, "'<' inside an attribute value: write &lt;");
        if (*p == '&') {
            size_t n = ref_len(p, end);

            if (!n)
                return fail_at(x, p, err, errlen,
                               "a '&' that starts no known reference (&lt; &gt; &amp; &quot; "
                               "&apos; &#N; &#xN;): write &amp;");
            p += n;
            continue;
        }
        p++;
    }
    return 0;
}

static const char *scan_name(const struct xml_scanner *x, const char *p)
{
    if (p >= x->end || !name_start(*p))
        return NULL;
    while (p < x->end && name_char(*p))
        p++;
    return p;
}

static const char *skip_blanks(const struct xml_scanner *x, const char *p)
{
    while (p < x->end && is_blank(*p))
        p++;
    return p;
}

/* <!DOCTYPE ...>, with an internal subset in [...] and quoted strings. */
static int skip_doctype(struct xml_scanner *x, char *err, size_t errlen)
{
    const char *p = x->p + 2;
    int depth = 0;

    for (; p < x->end; p++) {
        if (*p == '"' || *p == '\'') {
            const char *q = memchr(p + 1, *p, (size_t)(x->end - p - 1));

            if (!q)
                break;
            p = q;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']' && depth > 0) {
            depth--;
        } else if (*p == '>' && depth == 0) {
            x->p = p + 1;
            return 0;
        }
    }
    return fail_at(x, x->p, err, errlen, "a <!DOCTYPE that does not end");
}

/* Skip from x->p past `close`, or fail with what. */
static int skip_past(struct xml_scanner *x, size_t open_len, const char *close, char *err,
                     size_t errlen, const char *what)
{
    const char *e = find(x, x->p + open_len, close);

    if (!e)
        return fail_at(x, x->p, err, errlen, what);
    x->p = e + strlen(close);
    return 0;
}

static int scan_attrs(struct xml_scanner *x, const char *p, struct xml_token *t, char *err,
                      size_t errlen)
{
    for (;;) {
        const char *q = skip_blanks(x, p), *name_end, *close;
        struct xml_attr *a;
        char quote;

        if (q >= x->end)
            return fail_at(x, t->at, err, errlen, "a tag that does not end");
        if (*q == '>' || (*q == '/' && q + 1 < x->end && q[1] == '>')) {
            t->empty = *q == '/';
            x->p = q + (t->empty ? 2 : 1);
            return 0;
        }
        if (q == p)
            return fail_at(x, q, err, errlen, "attributes must be separated by blanks");
        if (!(name_end = scan_name(x, q)))
            return fail_at(x, q, err, errlen, "a bad attribute name");
        if (t->n_attrs >= XML_ATTRS_MAX)
            return fail_at(x, q, err, errlen, "too many attributes in one tag");
        a = &t->attrs[t->n_attrs];
        a->name = q;
        a->name_len = (size_t)(name_end - q);
        for (size_t i = 0; i < t->n_attrs; i++)
            if (t->attrs[i].name_len == a->name_len && !memcmp(t->attrs[i].name, q, a->name_len))
                return fail_at(x, q, err, errlen, "the same attribute twice in one tag");
        q = skip_blanks(x, name_end);
        if (q >= x->end || *q != '=')
            return fail_at(x, q, err, errlen, "an attribute without '=\"value\"'");
        q = skip_blanks(x, q + 1);
        if (q >= x->end || (*q != '"' && *q != '\''))
            return fail_at(x, q, err, errlen, "an attribute value must be quoted");
        quote = *q;
        if (!(close = memchr(q + 1, quote, (size_t)(x->end - q - 1))))
            return fail_at(x, q, err, errlen, "an attribute value that does not end");
        if (check_chars(x, q + 1, close, err, errlen) < 0)
            return -EINVAL;
        a->value = q + 1;
        a->value_len = (size_t)(close - q - 1);
        t->n_attrs++;
        p = close + 1;
    }
}

/* A start tag at x->p ('<' then a name). */
static int scan_open(struct xml_scanner *x, struct xml_token *t, char *err, size_t errlen)
{
    const char *name_end = scan_name(x, x->p + 1);

    if (!name_end)
        return fail_at(x, x->p, err, errlen, "'<' that starts no tag: write &lt;");
    t->type = XML_OPEN;
    t->name = x->p + 1;
    t->name_len = (size_t)(name_end - t->name);
    return scan_attrs(x, name_end, t, err, errlen);
}

static int scan_close(struct xml_scanner *x, struct xml_token *t, char *err, size_t errlen)
{
    const char *name_end = scan_name(x, x->p + 2), *q;

    if (!name_end)
        return fail_at(x, x->p, err, errlen, "a bad end tag");
    q = skip_blanks(x, name_end);
    if (q >= x->end || *q != '>')
        return fail_at(x, x->p, err, errlen, "an end tag without '>'");
    t->type = XML_CLOSE;
    t->name = x->p + 2;
    t->name_len = (size_t)(name_end - t->name);
    x->p = q + 1;
    return 0;
}

static int scan_text(struct xml_scanner *x, struct xml_token *t, char *err, size_t errlen)
{
    const char *lt = memchr(x->p, '<', (size_t)(x->end - x->p));
    const char *e = lt ? lt : x->end;

    if (check_chars(x, x->p, e, err, errlen) < 0)
        return -EINVAL;
    t->type = XML_TEXT;
    t->text = x->p;
    t->text_len = (size_t)(e - x->p);
    x->p = e;
    return 0;
}

int xml_next(struct xml_scanner *x, struct xml_token *t, char *err, size_t errlen)
{
    int r;

    for (;;) {
        memset(t, 0, sizeof(*t));
        t->at = x->p;
        if (x->p >= x->end) {
            t->type = XML_END;
            return 0;
        }
        if (*x->p != '<')
            return scan_text(x, t, err, errlen);
        if (starts(x, x->p, "<!--"))
            r = skip_past(x, 4, "-->", err, errlen, "a comment that does not end");
        else if (starts(x, x->p, "<?"))
            r = skip_past(x, 2, "?>", err, errlen, "a processing instruction that does not end");
        else if (starts(x, x->p, "<![CDATA[")) {
            const char *e = find(x, x->p + 9, "]]>");

            if (!e)
                return fail_at(x, x->p, err, errlen, "a CDATA section that does not end");
            t->type = XML_TEXT;
            t->text = x->p + 9;
            t->text_len = (size_t)(e - t->text);
            t->cdata = true;
            x->p = e + 3;
            return memchr(t->text, '\0', t->text_len) ? fail_at(x, t->at, err, errlen, "a NUL byte")
                                                      : 0;
        } else if (starts(x, x->p, "<!DOCTYPE"))
            r = skip_doctype(x, err, errlen);
        else if (starts(x, x->p, "<!"))
            return fail_at(x, x->p, err, errlen, "unknown markup '<!'");
        else if (starts(x, x->p, "</"))
            return scan_close(x, t, err, errlen);
        else
            return scan_open(x, t, err, errlen);
        if (r < 0)
            return r;
    }
}

/* Append code point v as UTF-8 if it fits before end. */
static bool put_utf8(char **o, const char *end, long v)
{
    unsigned char b[4];
    size_t n;

    if (v < 0x80) {
        b[0] = (unsigned char)v;
        n = 1;
    } else if (v < 0x800) {
        b[0] = (unsigned char)(0xC0 | (v >> 6));
        b[1] = (unsigned char)(0x80 | (v & 0x3F));
        n = 2;
    } else if (v < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (v >> 12));
        b[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (v & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (v >> 18));
        b[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (v & 0x3F));
        n = 4;
    }
    if ((size_t)(end - *o) < n)
        return false;
    memcpy(*o, b, n);
    *o += n;
    return true;
}

bool xml_decode(const char *raw, size_t len, bool cdata, char *out, size_t size)
{
    const char *p = raw, *e = raw + len, *oend = out + size - 1;
    char *o = out;
    bool fit = true;

    while (p < e) {
        size_t n = !cdata && *p == '&' ? ref_len(p, e) : 0;

        if (n) {
            long v = p[1] == '#' ? ref_number(p + 1, n - 2) : ref_named(p + 1, n - 2);

            if (!(fit = put_utf8(&o, oend, v)))
                break;
            p += n;
            continue;
        }
        if (!(fit = o < oend))
            break;
        *o++ = is_blank(*p) ? ' ' : *p;
        p++;
    }
    if (!fit) {
        /* never end in the middle of a UTF-8 sequence: drop the last character */
        while (o > out && ((unsigned char)o[-1] & 0xC0) == 0x80)
            o--;
        if (o > out && (unsigned char)o[-1] >= 0xC0)
            o--;
    }
    *o = '\0';
    return fit;
}
