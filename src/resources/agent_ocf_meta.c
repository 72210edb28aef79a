/* Reading an OCF agent's meta-data (pure): its parameters (name, required,
 * unique, type, default, short description) and the advised timeouts of
 * its actions, from the XML it prints for `meta-data`; and checking a
 * resource's parameters against them. The XML tokens come from
 * agent_xml.c; this file knows the shape of <resource-agent>. */
#include "../common/errbuf.h"
#include "agent.h"
#include "agent_xml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ROOT "resource-agent"
#define VALUE_MAX 1024 /* decoded attribute values and text chunks */
#define CUT_MARK "..."

struct open_element {
    const char *name;
    size_t len;
    const char *at;
};

/* The reader's state while it walks the tokens. */
struct meta_reader {
    struct xml_scanner x;
    struct agent_ocf_meta *m;
    size_t params_cap;
    struct open_element stack[AGENT_OCF_META_DEPTH_MAX];
    size_t depth;
    bool root_seen, root_done;
    struct agent_ocf_param_meta *param; /* inside <parameter>: the last of m->params */
    bool content_seen;
    int shortdesc_rank;     /* of the current parameter's short description so far */
    size_t shortdesc_depth; /* depth of the <shortdesc> being read; 0: none */
    size_t shortdesc_len;
    bool shortdesc_space, shortdesc_cut;
    int monitor_rank;
    unsigned flags; /* AGENT_META_* */
    char *err;
    size_t errlen;
};

static int fail(struct meta_reader *r, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "line N: ..." into err; returns -EINVAL. */
static int fail(struct meta_reader *r, const char *at, const char *fmt, ...)
{
    char msg[AGENT_ERR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return errbuf_fail(r->err, r->errlen, -EINVAL, "meta-data line %zu: %s", xml_line(&r->x, at),
                       msg);
}

/* Whether the open elements are exactly names[0..n-1] from the root. */
static bool at_path(const struct meta_reader *r, const char *const *names, size_t n)
{
    if (r->depth != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!xml_is(r->stack[i].name, r->stack[i].len, names[i]))
            return false;
    return true;
}

/* Copy src into dst, ending it with "..." when src was cut (or does not fit),
 * without splitting a UTF-8 sequence. */
static void copy_cut(char *dst, size_t size, const char *src, bool cut)
{
    size_t n = strlen(src);

    if (!cut && n < size) {
        memcpy(dst, src, n + 1);
        return;
    }
    n = size - sizeof(CUT_MARK) < n ? size - sizeof(CUT_MARK) : n;
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
        n--; /* src[n] would start the cut: back to a character's first byte */
    memcpy(dst, src, n);
    memcpy(dst + n, CUT_MARK, sizeof(CUT_MARK));
}

/* An attribute's decoded value into buf; false when it does not fit. */
static bool attr_value(const struct xml_attr *a, char *buf, size_t size)
{
    return xml_decode(a->value, a->value_len, false, buf, size);
}

static int parse_bool(struct meta_reader *r, const struct xml_token *t, const char *attr, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes"}, *const no[] = {"0", "false", "no"};
    const struct xml_attr *a = xml_attr(t, attr);
    char v[16];

    *out = false;
    if (!a)
        return 0;
    attr_value(a, v, sizeof(v));
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return fail(r, t->at, "parameter '%s': %s=\"%.20s\" is neither 1 nor 0", r->param->name, attr,
                v);
}

/* A fence agent's parameter name: [A-Za-z0-9_-] (fence_redfish has
 * redfish-uri, fence_ilo tls1.0). */
static bool fence_name_valid(const char *name)
{
    if (!name[0])
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

/* <parameter name=... required=... unique=...> under <parameters>. */
static int begin_param(struct meta_reader *r, const struct xml_token *t)
{
    const struct xml_attr *a = xml_attr(t, "name");
    struct agent_ocf_param_meta *p;
    char name[AGENT_NAME_MAX];
    int e;

    if (!a)
        return fail(r, t->at, "a <parameter> without a name");
    if (!attr_value(a, name, sizeof(name)))
        return fail(r, t->at, "a parameter name longer than %d characters", AGENT_NAME_MAX - 1);
    if ((r->flags & AGENT_META_FENCE) && !fence_name_valid(name))
        return fail(r, t->at,
                    "parameter name '%s' cannot be passed on a fence agent's stdin: letters, "
                    "digits, '_', '-' and '.' only",
                    name);
    if (!(r->flags & AGENT_META_FENCE) && !spawn_env_name_valid(name))
        return fail(r, t->at,
                    "parameter name '%s' cannot be passed as OCF_RESKEY_%s: letters, digits and "
                    "'_' only",
                    name, name);
    if (agent_ocf_meta_param(r->m, name))
        return fail(r, t->at, "parameter '%s' is described twice", name);
    if (r->m->n_params >= AGENT_OCF_META_PARAMS_MAX)
        return fail(r, t->at, "more than %d parameters", AGENT_OCF_META_PARAMS_MAX);
    if (r->m->n_params == r->params_cap) {
        size_t cap = r->params_cap ? 2 * r->params_cap : 16;

        if (!(p = realloc(r->m->params, cap * sizeof(*p))))
            return errbuf_fail(r->err, r->errlen, -ENOMEM, "meta-data: out of memory");
        r->m->params = p;
        r->params_cap = cap;
    }
    p = &r->m->params[r->m->n_params++];
    memset(p, 0, sizeof(*p));
    memcpy(p->name, name, strlen(name) + 1);
    r->param = p;
    r->content_seen = false;
    r->shortdesc_rank = 0;
    if ((e = parse_bool(r, t, "required", &p->required)) < 0 ||
        (e = parse_bool(r, t, "unique", &p->unique)) < 0)
        return e;
    return 0;
}

/* <content type=... default=...> of the current parameter (the first one). */
static void param_content(struct meta_reader *r, const struct xml_token *t)
{
    const struct xml_attr *type = xml_attr(t, "type"), *def = xml_attr(t, "default");
    char v[VALUE_MAX];
    bool fit;

    if (r->content_seen)
        return;
    r->content_seen = true;
    if (type) {
        fit = attr_value(type, v, sizeof(v));
        copy_cut(r->param->type, sizeof(r->param->type), v, !fit);
    }
    if (def) {
        fit = attr_value(def, v, sizeof(v));
        copy_cut(r->param->default_value, sizeof(r->param->default_value), v, !fit);
    }
}

/* <shortdesc lang=...> of the current parameter: read it when it is better
 * than what we have (English or unlabelled beats another language). */
static void begin_shortdesc(struct meta_reader *r, const struct xml_token *t)
{
    const struct xml_attr *lang = xml_attr(t, "lang");
    char v[16];
    int rank = 2;

    if (lang && (!attr_value(lang, v, sizeof(v)) ||
                 (strcasecmp(v, "en") != 0 && strncasecmp(v, "en-", 3) != 0)))
        rank = 1;
    if (rank <= r->shortdesc_rank || t->empty)
        return;
    r->shortdesc_rank = rank;
    r->shortdesc_depth = r->depth + 1;
    r->shortdesc_len = 0;
    r->shortdesc_space = r->shortdesc_cut = false;
    r->param->shortdesc[0] = '\0';
}

/* Add one character of the short description: blanks folded, cut at the
 * buffer's end with "...". */
static void shortdesc_put(struct meta_reader *r, char c)
{
    char *d = r->param->shortdesc;
    size_t size = sizeof(r->param->shortdesc);

    if (r->shortdesc_cut)
        return;
    if (c == ' ') {
        r->shortdesc_space = r->shortdesc_len > 0;
        return;
    }
    if (r->shortdesc_len + (r->shortdesc_space ? 2 : 1) >= size) {
        char copy[sizeof(r->param->shortdesc)];

        memcpy(copy, d, r->shortdesc_len + 1);
        copy_cut(d, size, copy, true);
        r->shortdesc_cut = true;
        return;
    }
    if (r->shortdesc_space)
        d[r->shortdesc_len++] = ' ';
    r->shortdesc_space = false;
    d[r->shortdesc_len++] = c;
    d[r->shortdesc_len] = '\0';
}

static void shortdesc_text(struct meta_reader *r, const struct xml_token *t)
{
    char v[VALUE_MAX];

    xml_decode(t->text, t->text_len, t->cdata, v, sizeof(v));
    for (const char *p = v; *p; p++)
        shortdesc_put(r, *p);
}

/* Which of our actions a meta-data action name is, or -1 (reload, promote, ...). */
static int action_index(const char *name)
{
    for (int a = 0; a < AGENT_ACTION_COUNT; a++)
        if (strcmp(name, agent_action_name((enum agent_action)a)) == 0)
            return a;
    return -1;
}

static int action_duration(struct meta_reader *r, const struct xml_token *t, const char *action,
                           const char *attr, vg_usec_t *out)
{
    const struct xml_attr *a = xml_attr(t, attr);
    char v[64];

    if (!a)
        return 0;
    if (!attr_value(a, v, sizeof(v)) || agent_ocf_parse_duration(v, out) < 0)
        return fail(r, t->at,
                    "action '%s': %s=\"%.40s\" is not a duration (a number with an optional "
                    "unit: 20s, 90, 2min, 500ms)",
                    action, attr, v);
    return 0;
}

/* <action name=... timeout=... interval=...> under <actions>. Several
 * monitors may be listed (per role or depth): the plain one wins. */
static int action(struct meta_reader *r, const struct xml_token *t)
{
    const struct xml_attr *name = xml_attr(t, "name"), *depth = xml_attr(t, "depth");
    vg_usec_t timeout = 0, interval = 0;
    char v[32], d[16] = "0";
    int a, rank = 0, e;

    if (!name)
        return fail(r, t->at, "an <action> without a name");
    if (attr_value(name, v, sizeof(v)) && strcmp(v, "status") == 0)
        r->m->has_status = true; /* a fence agent's */
    if (!attr_value(name, v, sizeof(v)) || (a = action_index(v)) < 0)
        return 0;
    if ((e = action_duration(r, t, v, "timeout", &timeout)) < 0 ||
        (e = action_duration(r, t, v, "interval", &interval)) < 0)
        return e;
    if (depth)
        attr_value(depth, d, sizeof(d));
    rank = (xml_attr(t, "role") ? 0 : 2) + (strcmp(d, "0") == 0 ? 1 : 0);
    if (r->m->has_action[a] && (a != AGENT_ACTION_MONITOR || rank <= r->monitor_rank))
        return 0;
    r->m->has_action[a] = true;
    r->m->timeout[a] = timeout;
    if (a == AGENT_ACTION_MONITOR) {
        r->m->monitor_interval = interval;
        r->monitor_rank = rank;
    }
    return 0;
}

/* The root element: <resource-agent name=...>. */
static int begin_root(struct meta_reader *r, const struct xml_token *t)
{
    const struct xml_attr *name = xml_attr(t, "name");
    char v[VALUE_MAX];

    if (!xml_is(t->name, t->name_len, ROOT))
        return fail(r, t->at, "the root element is <%.*s>, expected <" ROOT ">: not OCF meta-data",
                    (int)(t->name_len > 40 ? 40 : t->name_len), t->name);
    r->root_seen = true;
    if (name) {
        bool fit = attr_value(name, v, sizeof(v));

        copy_cut(r->m->name, sizeof(r->m->name), v, !fit);
    }
    return 0;
}

static int on_open(struct meta_reader *r, const struct xml_token *t)
{
    static const char *const params_path[] = {ROOT, "parameters"};
    static const char *const param_path[] = {ROOT, "parameters", "parameter"};
    static const char *const actions_path[] = {ROOT, "actions"};
    int e = 0;

    if (r->root_done)
        return fail(r, t->at, "a second root element <%.*s> after </" ROOT ">",
                    (int)(t->name_len > 40 ? 40 : t->name_len), t->name);
    if (r->depth == 0)
        e = begin_root(r, t);
    else if (r->depth >= AGENT_OCF_META_DEPTH_MAX)
        return fail(r, t->at, "elements nested more than %d deep", AGENT_OCF_META_DEPTH_MAX);
    else if (at_path(r, params_path, 2) && xml_is(t->name, t->name_len, "parameter"))
        e = begin_param(r, t);
    else if (at_path(r, param_path, 3) && xml_is(t->name, t->name_len, "content"))
        param_content(r, t);
    else if (at_path(r, param_path, 3) && xml_is(t->name, t->name_len, "shortdesc"))
        begin_shortdesc(r, t);
    else if (at_path(r, actions_path, 2) && xml_is(t->name, t->name_len, "action"))
        e = action(r, t);
    if (e < 0)
        return e;
    if (t->empty) {
        if (r->depth == 0)
            r->root_done = true;
        if (at_path(r, params_path, 2))
            r->param = NULL;
        return 0;
    }
    r->stack[r->depth++] = (struct open_element){t->name, t->name_len, t->at};
    return 0;
}

static int on_close(struct meta_reader *r, const struct xml_token *t)
{
    const struct open_element *top;

    if (r->depth == 0)
        return fail(r, t->at, "</%.*s> closes nothing", (int)(t->name_len > 40 ? 40 : t->name_len),
                    t->name);
    top = &r->stack[r->depth - 1];
    if (top->len != t->name_len || memcmp(top->name, t->name, top->len) != 0)
        return fail(r, t->at, "</%.*s> where </%.*s> was expected (opened on line %zu)",
                    (int)(t->name_len > 40 ? 40 : t->name_len), t->name,
                    (int)(top->len > 40 ? 40 : top->len), top->name, xml_line(&r->x, top->at));
    if (r->depth == r->shortdesc_depth)
        r->shortdesc_depth = 0;
    r->depth--;
    if (r->depth == 2 && r->param)
        r->param = NULL; /* </parameter> */
    if (r->depth == 0)
        r->root_done = true;
    return 0;
}

static int on_text(struct meta_reader *r, const struct xml_token *t)
{
    if (r->depth == 0) {
        for (size_t i = 0; i < t->text_len; i++)
            if (!(t->text[i] == ' ' || t->text[i] == '\t' || t->text[i] == '\n' ||
                  t->text[i] == '\r'))
                return fail(r, t->text + i, "text outside the <" ROOT "> element");
        return 0;
    }
    if (r->shortdesc_depth && r->depth >= r->shortdesc_depth && r->param)
        shortdesc_text(r, t);
    return 0;
}

static int on_end(struct meta_reader *r, const struct xml_token *t)
{
    if (!r->root_seen)
        return errbuf_fail(r->err, r->errlen, -EINVAL,
                           "meta-data: no <" ROOT "> element (the agent printed %s)",
                           r->x.end == r->x.start ? "nothing" : "no meta-data");
    if (r->depth > 0)
        return fail(r, t->at, "the meta-data ends inside <%.*s> (opened on line %zu): cut short?",
                    (int)(r->stack[r->depth - 1].len > 40 ? 40 : r->stack[r->depth - 1].len),
                    r->stack[r->depth - 1].name, xml_line(&r->x, r->stack[r->depth - 1].at));
    return 0;
}

int agent_ocf_meta_parse(const char *xml, size_t len, struct agent_ocf_meta *out, char *err,
                         size_t errlen)
{
    return agent_meta_parse(xml, len, 0, out, err, errlen);
}

int agent_meta_parse(const char *xml, size_t len, unsigned flags, struct agent_ocf_meta *out,
                     char *err, size_t errlen)
{
    struct agent_ocf_meta m = {0};
    struct meta_reader r = {
        .m = &m, .monitor_rank = -1, .flags = flags, .err = err, .errlen = errlen};
    struct xml_token t;
    int e;

    if ((!xml && len) || !out)
        return errbuf_fail(err, errlen, -EINVAL, "meta-data: nothing to read");
    if (len >= 3 && memcmp(xml, "\xef\xbb\xbf", 3) == 0) {
        xml += 3; /* a UTF-8 byte order mark */
        len -= 3;
    }
    xml_init(&r.x, xml ? xml : "", len);
    do {
        if ((e = xml_next(&r.x, &t, err, errlen)) < 0) {
            char inner[AGENT_ERR_MAX];

            snprintf(inner, sizeof(inner), "%s", err ? err : "");
            errbuf_set(err, errlen, "meta-data %s", inner);
            break;
        }
        switch (t.type) {
        case XML_OPEN:
            e = on_open(&r, &t);
            break;
        case XML_CLOSE:
            e = on_close(&r, &t);
            break;
        case XML_TEXT:
            e = on_text(&r, &t);
            break;
        case XML_END:
            e = on_end(&r, &t);
            break;
        }
    } while (e >= 0 && t.type != XML_END);
    if (e < 0) {
        agent_ocf_meta_free(&m);
        return e;
    }
    *out = m;
    return 0;
}

void agent_ocf_meta_free(struct agent_ocf_meta *m)
{
    if (!m)
        return;
    free(m->params);
    memset(m, 0, sizeof(*m));
}

const struct agent_ocf_param_meta *agent_ocf_meta_param(const struct agent_ocf_meta *m,
                                                        const char *name)
{
    for (size_t i = 0; m && name && i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return &m->params[i];
    return NULL;
}

/* Pacemaker's units for operation times; a bare number is seconds. */
static const struct {
    const char *name;
    vg_usec_t usec;
} duration_units[] = {
    {"", VG_USEC_PER_SEC},
    {"s", VG_USEC_PER_SEC},
    {"sec", VG_USEC_PER_SEC},
    {"ms", VG_USEC_PER_MSEC},
    {"msec", VG_USEC_PER_MSEC},
    {"us", 1},
    {"usec", 1},
    {"m", 60 * VG_USEC_PER_SEC},
    {"min", 60 * VG_USEC_PER_SEC},
    {"h", 3600 * VG_USEC_PER_SEC},
    {"hr", 3600 * VG_USEC_PER_SEC},
};

int agent_ocf_parse_duration(const char *s, vg_usec_t *out)
{
    const char *p = s, *unit;
    vg_usec_t n = 0;
    size_t ulen;

    if (!s || !out)
        return -EINVAL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p < '0' || *p > '9')
        return -EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -ERANGE;
        n = n * 10 + (vg_usec_t)(*p - '0');
    }
    while (*p == ' ' || *p == '\t')
        p++;
    unit = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
        p++;
    ulen = (size_t)(p - unit);
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
        if (strlen(duration_units[i].name) != ulen ||
            strncasecmp(unit, duration_units[i].name, ulen) != 0)
            continue;
        if (n > UINT64_MAX / duration_units[i].usec)
            return -ERANGE;
        *out = n * duration_units[i].usec;
        return 0;
    }
    return -EINVAL;
}

vg_usec_t agent_ocf_meta_timeout(const struct agent_ocf_meta *m, enum agent_action a,
                                 vg_usec_t configured)
{
    if (configured)
        return configured;
    if (m && (unsigned)a < AGENT_ACTION_COUNT && m->timeout[a])
        return m->timeout[a];
    return AGENT_TIMEOUT_DEFAULT;
}
