/* conf_parse_text(): lines, section headers and diagnostics.
 *
 * libinih splits "key = value" lines and strips inline comments; everything
 * else is done here, in the reader function that feeds inih one line at a
 * time from memory. The reader counts lines, parses section headers itself
 * (inih cuts section names at 50 characters and never reports an empty
 * section) and hands inih a blank line in their place, so that the key
 * handler, called right after the reader returns a line, knows both the line
 * number and the section of every key. */
#include "parse.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char known_sections[] =
    "expected [cluster], [node \"NAME\"], [link \"NAME\"], [np \"NAME\"], [group \"NAME\"], "
    "[resource \"GROUP/NAME\"], [fence \"NAME\"] or [watchdog]";

void conf_err(struct conf_parser *p, int line, const char *fmt, ...)
{
    char *m;
    int off;
    va_list ap;

    p->errors++;
    if (p->diag.n >= CONF_DIAG_MAX) {
        p->diag.dropped++;
        return;
    }
    m = p->diag.msg[p->diag.n];
    off = snprintf(m, CONF_DIAG_LEN, "%s:%d: ", p->path, line);
    if (off < 0)
        off = 0;
    if (off > CONF_DIAG_LEN - 1)
        off = CONF_DIAG_LEN - 1;
    va_start(ap, fmt);
    vsnprintf(m + off, (size_t)(CONF_DIAG_LEN - off), fmt, ap);
    va_end(ap);
    p->diag_line[p->diag.n++] = line;
}

const char *conf_node_label(const struct raw_node *n, char *buf, size_t len)
{
    snprintf(buf, len, "[node \"%s\"]", n->name);
    return buf;
}

const char *conf_link_label(const struct raw_link *l, char *buf, size_t len)
{
    snprintf(buf, len, "[link \"%s\"]", l->name);
    return buf;
}

const char *conf_np_label(const struct raw_np *n, char *buf, size_t len)
{
    snprintf(buf, len, "[np \"%s\"]", n->name);
    return buf;
}

const char *conf_group_label(const struct raw_group *g, char *buf, size_t len)
{
    snprintf(buf, len, "[group \"%s\"]", g->name);
    return buf;
}

const char *conf_resource_label(const struct raw_resource *r, char *buf, size_t len)
{
    snprintf(buf, len, "[resource \"%s/%s\"]", r->group, r->name);
    return buf;
}

static const char no_memory[] = "out of memory for the [group] and [resource] sections";

struct raw_groups *conf_raw_groups(struct conf_parser *p)
{
    if (!p->gr && !(p->gr = calloc(1, sizeof(*p->gr))))
        conf_err(p, p->lineno, no_memory);
    return p->gr;
}

struct raw_resource *conf_raw_resource_new(struct conf_parser *p)
{
    struct raw_groups *gr = p->gr;

    if (gr->n_resources == gr->cap_resources) {
        int cap = gr->cap_resources ? 2 * gr->cap_resources : 8;
        void *more;

        if (cap > VIGIL_MAX_RESOURCES)
            cap = VIGIL_MAX_RESOURCES;
        more = realloc(gr->resources, (size_t)cap * sizeof(*gr->resources));
        if (!more) {
            conf_err(p, p->lineno, no_memory);
            return NULL;
        }
        gr->resources = more;
        gr->cap_resources = cap;
    }
    return &gr->resources[gr->n_resources];
}

/* The pool is bounded like conf.text, which holds a part of it. */
int conf_pool_add(struct conf_parser *p, const char *key, const char *s, uint32_t *off)
{
    struct raw_groups *gr = p->gr;
    size_t n = strlen(s) + 1, need = (gr->pool_len ? gr->pool_len : 1) + n;

    if (need > CONF_TEXT_MAX) {
        conf_key_err(p, key,
                     "too much text: the [group] and [resource] sections hold at most %d KiB of "
                     "keys and values in all",
                     CONF_TEXT_MAX / 1024);
        return -ENOSPC;
    }
    if (need > gr->pool_cap) {
        size_t cap = gr->pool_cap ? 2 * (size_t)gr->pool_cap : 4096;
        char *more;

        while (cap < need)
            cap *= 2;
        if (cap > CONF_TEXT_MAX)
            cap = CONF_TEXT_MAX;
        more = realloc(gr->pool, cap);
        if (!more) {
            conf_err(p, p->lineno, no_memory);
            return -ENOMEM;
        }
        gr->pool = more;
        gr->pool_cap = (uint32_t)cap;
    }
    if (gr->pool_len == 0) {
        gr->pool[0] = '\0'; /* offset 0 is "" */
        gr->pool_len = 1;
    }
    memcpy(gr->pool + gr->pool_len, s, n);
    *off = gr->pool_len;
    gr->pool_len += (uint32_t)n;
    return 0;
}

static void free_raw_groups(struct raw_groups *gr)
{
    if (gr) {
        free(gr->resources);
        free(gr->pool);
        free(gr);
    }
}

const char *conf_sec_label(const struct conf_parser *p, char *buf, size_t len)
{
    switch (p->sec) {
    case SEC_CLUSTER:
        snprintf(buf, len, "[cluster]");
        break;
    case SEC_NODE:
        return conf_node_label(&p->nodes[p->sec_index], buf, len);
    case SEC_LINK:
        return conf_link_label(&p->links[p->sec_index], buf, len);
    case SEC_NP:
        return conf_np_label(&p->nps[p->sec_index], buf, len);
    case SEC_GROUP:
        return conf_group_label(&p->gr->groups[p->sec_index], buf, len);
    case SEC_RESOURCE:
        return conf_resource_label(&p->gr->resources[p->sec_index], buf, len);
    case SEC_FENCE:
        return conf_fence_label(&p->fences[p->sec_index], buf, len);
    case SEC_WATCHDOG:
        snprintf(buf, len, "[watchdog]");
        break;
    default:
        snprintf(buf, len, "(no section)");
        break;
    }
    return buf;
}

/* The blanks inih strips (isspace() in the C locale, newline aside). */
static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_kind_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static void open_cluster(struct conf_parser *p, const char *name)
{
    if (name) {
        conf_err(p, p->lineno, "section [cluster] takes no name: write [cluster]");
        return;
    }
    if (p->cluster_line) {
        conf_err(p, p->lineno, "duplicate section [cluster] (first on line %d): merge them",
                 p->cluster_line);
        return;
    }
    p->cluster_line = p->lineno;
    p->sec = SEC_CLUSTER;
}

/* Checks the NAME of [node "NAME"] / [link "NAME"] / [np "NAME"] /
 * [group "NAME"] / [fence "NAME"]; false after an error. */
static bool check_section_name(struct conf_parser *p, const char *kind, const char *name)
{
    if (!name) {
        conf_err(p, p->lineno, "section [%s] needs a quoted name, e.g. [%s \"%s\"]", kind, kind,
                 strcmp(kind, "node") == 0    ? "alpha"
                 : strcmp(kind, "np") == 0    ? "gw"
                 : strcmp(kind, "group") == 0 ? "web"
                 : strcmp(kind, "fence") == 0 ? "ipmi"
                                              : "lan1");
        return false;
    }
    if (!conf_name_valid(name)) {
        conf_err(p, p->lineno, "bad %s name '%.64s%s': " CONF_NAME_EXPECT, kind, name,
                 strlen(name) > 64 ? "..." : "");
        return false;
    }
    return true;
}

static void open_node(struct conf_parser *p, const char *name)
{
    struct raw_node *n;

    if (!check_section_name(p, "node", name))
        return;
    for (int i = 0; i < p->n_nodes; i++) {
        if (strcmp(p->nodes[i].name, name) == 0) {
            conf_err(p, p->lineno, "duplicate section [node \"%s\"] (first on line %d): merge them",
                     name, p->nodes[i].line);
            return;
        }
    }
    if (p->n_nodes >= VIGIL_MAX_NODES) {
        conf_err(p, p->lineno, "too many nodes: [node \"%s\"] is one more than the %d allowed",
                 name, VIGIL_MAX_NODES);
        return;
    }
    n = &p->nodes[p->n_nodes];
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->line = p->lineno;
    p->sec = SEC_NODE;
    p->sec_index = p->n_nodes++;
}

static void open_link(struct conf_parser *p, const char *name)
{
    struct raw_link *l;

    if (!check_section_name(p, "link", name))
        return;
    if (strcmp(name, "id") == 0) {
        conf_err(p, p->lineno,
                 "a link cannot be named 'id': [node] sections use 'id' for the node id");
        return;
    }
    for (int i = 0; i < p->n_links; i++) {
        if (strcmp(p->links[i].name, name) == 0) {
            conf_err(p, p->lineno, "duplicate section [link \"%s\"] (first on line %d): merge them",
                     name, p->links[i].line);
            return;
        }
    }
    if (p->n_links >= VIGIL_MAX_LINKS) {
        conf_err(p, p->lineno,
                 "too many links: [link \"%s\"] is one more than the %d allowed (all types "
                 "together)",
                 name, VIGIL_MAX_LINKS);
        return;
    }
    l = &p->links[p->n_links];
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->line = p->lineno;
    l->port = CONF_DEFAULT_PORT;
    l->family_node = -1;
    p->sec = SEC_LINK;
    p->sec_index = p->n_links++;
}

static void open_np(struct conf_parser *p, const char *name)
{
    if (check_section_name(p, "np", name))
        conf_open_np(p, name);
}

static void open_group(struct conf_parser *p, const char *name)
{
    if (check_section_name(p, "group", name))
        conf_open_group(p, name);
}

/* Acts on a well-formed header: [KIND] or [KIND "NAME"]. */
static void open_section(struct conf_parser *p, const char *kind, const char *name)
{
    if (strcmp(kind, "cluster") == 0)
        open_cluster(p, name);
    else if (strcmp(kind, "node") == 0)
        open_node(p, name);
    else if (strcmp(kind, "link") == 0)
        open_link(p, name);
    else if (strcmp(kind, "np") == 0)
        open_np(p, name);
    else if (strcmp(kind, "group") == 0)
        open_group(p, name);
    else if (strcmp(kind, "resource") == 0)
        conf_open_resource(p, name);
    else if (strcmp(kind, "watchdog") == 0)
        conf_open_watchdog(p, name);
    else if (strcmp(kind, "fence") == 0) {
        if (check_section_name(p, "fence", name))
            conf_open_fence(p, name);
    } else if (strcmp(kind, "api") == 0)
        conf_err(p, p->lineno,
                 "section [%s] is not supported yet by this version of vigil: remove it", kind);
    else if (kind[0] == '\0')
        conf_err(p, p->lineno, "empty section header: %s", known_sections);
    else
        conf_err(p, p->lineno, "unknown section [%.64s]: %s", kind, known_sections);
}

/* Parses one "[kind]" / "[kind \"name\"]" line (s starts at the '['; n bytes,
 * no NUL inside) and makes it the current section. A bad header makes the
 * keys below it ignored, so that one mistake gives one message. */
static void section_header(struct conf_parser *p, const char *s, size_t n)
{
    char hdr[CONF_LINE_MAX + 1];
    const char *name = NULL;
    char *kind, *q;
    size_t i = 1, kind_end;

    p->sec = SEC_SKIP;
    memcpy(hdr, s, n);
    hdr[n] = '\0';

    while (is_blank(hdr[i]))
        i++;
    kind = &hdr[i];
    while (is_kind_char(hdr[i]))
        i++;
    kind_end = i;
    while (is_blank(hdr[i]))
        i++;
    if (hdr[i] == '"') {
        name = &hdr[i + 1];
        q = strchr(name, '"');
        if (!q) {
            conf_err(p, p->lineno, "section header has no closing quote: expected [%.*s \"NAME\"]",
                     (int)(kind_end - (size_t)(kind - hdr)), kind);
            return;
        }
        *q = '\0';
        i = (size_t)(q - hdr) + 1;
        while (is_blank(hdr[i]))
            i++;
    }
    if (hdr[i] != ']') {
        if (!strchr(&hdr[i], ']'))
            conf_err(p, p->lineno, "section header has no closing ']': %s", known_sections);
        else if (!name)
            conf_err(p, p->lineno,
                     "bad section header: a section name goes in double quotes, e.g. "
                     "[node \"alpha\"]");
        else
            conf_err(p, p->lineno, "bad section header: %s", known_sections);
        return;
    }
    i++;
    while (is_blank(hdr[i]))
        i++;
    if (hdr[i] != '\0' && hdr[i] != '#' && hdr[i] != ';') {
        conf_err(p, p->lineno,
                 "unexpected text after the section header: put a comment after '#' or ';'");
        return;
    }
    hdr[kind_end] = '\0';
    open_section(p, kind, name);
}

/* A line handed to inih as "key = value" for which the handler was not
 * called is one inih could not split: report it now. */
static void check_syntax(struct conf_parser *p)
{
    if (!p->kv_pending)
        return;
    p->kv_pending = false;
    conf_err(p, p->lineno, "syntax error: expected 'key = value', a [section] header or a comment");
}

static char *blank_line(char *buf)
{
    buf[0] = '\n';
    buf[1] = '\0';
    return buf;
}

/* inih's reader: the next line of p->text into buf (num bytes). Comments,
 * section headers and bad lines go to inih as blank lines; only candidate
 * "key = value" lines reach it. */
static char *read_line(char *buf, int num, void *stream)
{
    struct conf_parser *p = stream;
    const char *line, *nl, *s, *end;
    size_t n;

    check_syntax(p);
    p->raw = NULL;
    p->raw_len = 0;
    if (p->pos >= p->len || num < 2)
        return NULL;
    line = p->text + p->pos;
    nl = memchr(line, '\n', p->len - p->pos);
    n = nl ? (size_t)(nl - line) : p->len - p->pos;
    p->pos += n + (nl != NULL);
    p->lineno++;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (p->lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
        line += 3;
        n -= 3;
    }
    if (memchr(line, '\0', n)) {
        conf_err(p, p->lineno, "the line contains a NUL byte: expected text");
        return blank_line(buf);
    }
    if (n > CONF_LINE_MAX || n + 2 > (size_t)num) {
        conf_err(p, p->lineno, "line too long (%zu characters): at most %d", n, CONF_LINE_MAX);
        return blank_line(buf);
    }
    end = line + n;
    for (s = line; s < end && is_blank(*s); s++)
        ;
    if (s == end || *s == '#' || *s == ';')
        return blank_line(buf);
    if (*s == '[') {
        section_header(p, s, (size_t)(end - s));
        return blank_line(buf);
    }
    memcpy(buf, line, n);
    buf[n] = '\n';
    buf[n + 1] = '\0';
    p->raw = s;
    p->raw_len = (size_t)(end - s);
    p->kv_pending = true;
    return buf;
}

/* inih splits on ':' as well as '='; vigil.conf only knows '='. */
static bool split_on_equals(const struct conf_parser *p, const char *key)
{
    size_t k = strlen(key);

    if (!p->raw || k > p->raw_len || memcmp(p->raw, key, k) != 0)
        return true;
    while (k < p->raw_len && is_blank(p->raw[k]))
        k++;
    return k < p->raw_len && p->raw[k] == '=';
}

/* inih's handler. Always returns 1: errors are collected, not fatal. The
 * section argument is ignored (see the top of this file). */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct conf_parser *p = user;

    (void)section;
    p->kv_pending = false;
    if (!split_on_equals(p, key)) {
        conf_err(p, p->lineno, "syntax error: expected 'key = value' (with '=', not ':')");
        return 1;
    }
    switch (p->sec) {
    case SEC_NONE:
        conf_err(p, p->lineno, "key '%.64s' is outside of any section: %s", key, known_sections);
        break;
    case SEC_CLUSTER:
        conf_key_cluster(p, key, value);
        break;
    case SEC_NODE:
        conf_key_node(p, key, value);
        break;
    case SEC_LINK:
        conf_key_link(p, key, value);
        break;
    case SEC_NP:
        conf_key_np(p, key, value);
        break;
    case SEC_GROUP:
        conf_key_group(p, key, value);
        break;
    case SEC_RESOURCE:
        conf_key_resource(p, key, value);
        break;
    case SEC_FENCE:
        conf_key_fence(p, key, value);
        break;
    case SEC_WATCHDOG:
        conf_key_watchdog(p, key, value);
        break;
    case SEC_SKIP:
        break;
    }
    return 1;
}

bool conf_line_has_error(const struct conf_parser *p, int line)
{
    for (int i = 0; i < p->diag.n; i++)
        if (p->diag_line[i] == line)
            return true;
    return false;
}

/* Stable insertion sort of the messages by line, so that a file reads top down. */
static void sort_diag(struct conf_parser *p)
{
    char tmp[CONF_DIAG_LEN];

    for (int i = 1; i < p->diag.n; i++) {
        int line = p->diag_line[i], j = i;

        if (p->diag_line[j - 1] <= line)
            continue;
        memcpy(tmp, p->diag.msg[i], sizeof(tmp));
        while (j > 0 && p->diag_line[j - 1] > line) {
            memcpy(p->diag.msg[j], p->diag.msg[j - 1], sizeof(tmp));
            p->diag_line[j] = p->diag_line[j - 1];
            j--;
        }
        memcpy(p->diag.msg[j], tmp, sizeof(tmp));
        p->diag_line[j] = line;
    }
}

/* Runs inih over the text with the options vigil.conf needs, and puts back
 * whatever another user of inih in this process had set. */
static int run_inih(struct conf_parser *p)
{
    static char comment_prefixes[] = "#;";
    bool multiline = ini_allow_multiline, bom = ini_allow_bom;
    bool inline_comments = ini_allow_inline_comments, use_stack = ini_use_stack;
    bool stop = ini_stop_on_first_error, no_value = ini_allow_no_value;
    char *start_prefixes = ini_start_comment_prefixes;
    char *inline_prefixes = ini_inline_comment_prefixes;
    int max_line = ini_max_line;
    int r;

    ini_allow_multiline = false;
    ini_allow_bom = false; /* read_line strips it */
    ini_allow_inline_comments = true;
    ini_start_comment_prefixes = comment_prefixes;
    ini_inline_comment_prefixes = comment_prefixes;
    ini_use_stack = true;
    ini_max_line = CONF_LINE_MAX + 3;
    ini_stop_on_first_error = false;
    ini_allow_no_value = false;

    r = ini_parse_stream(read_line, p, on_key, p);

    ini_allow_multiline = multiline;
    ini_allow_bom = bom;
    ini_allow_inline_comments = inline_comments;
    ini_start_comment_prefixes = start_prefixes;
    ini_inline_comment_prefixes = inline_prefixes;
    ini_use_stack = use_stack;
    ini_max_line = max_line;
    ini_stop_on_first_error = stop;
    ini_allow_no_value = no_value;
    return r;
}

static void set_defaults(struct conf *c, const char *path)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->path, sizeof(c->path), "%s", path);
    snprintf(c->key_file, sizeof(c->key_file), "%s", CONF_DEFAULT_KEY_FILE);
    c->interval = CONF_DEFAULT_INTERVAL;
    c->timeout = CONF_DEFAULT_TIMEOUT;
    c->initial_timeout = CONF_DEFAULT_INITIAL_TIMEOUT;
    c->realtime = true;
    c->quorum = QUORUM_MAJORITY;
    c->fencing = FENCING_REQUIRED;
}

int conf_parse_text(const char *text, size_t len, const char *path, struct conf *out,
                    struct conf_diag *diag)
{
    struct conf_parser *p;
    int r;

    if (!path)
        path = "(text)";
    if (diag)
        memset(diag, 0, sizeof(*diag));
    if (!out || (!text && len > 0))
        return -EINVAL;
    set_defaults(out, path);

    p = calloc(1, sizeof(*p));
    if (!p) {
        if (diag) {
            snprintf(diag->msg[0], sizeof(diag->msg[0]), "%s: out of memory", path);
            diag->n = 1;
        }
        memset(out, 0, sizeof(*out));
        return -ENOMEM;
    }
    p->path = path;
    p->text = text;
    p->len = text ? len : 0;
    p->out = out;

    r = run_inih(p);
    check_syntax(p);
    if (r > 0 && !conf_line_has_error(p, r))
        conf_err(p, r, "syntax error");
    else if (r < 0)
        conf_err(p, 1, "the INI parser failed (%d)", r);

    conf_validate(p);
    sort_diag(p);
    if (diag)
        *diag = p->diag;
    r = p->errors ? -EINVAL : 0;
    free_raw_groups(p->gr);
    free(p);
    if (r < 0)
        memset(out, 0, sizeof(*out));
    return r;
}
