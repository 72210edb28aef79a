/* The text view of `vigilctl status`: a pure function from a status object
 * (docs/status-json.md) to text. The object comes from another program, maybe
 * of another version: every field may be missing or of the wrong type, and
 * then "?" is shown instead. No I/O besides writing to the given FILE. */
#include "ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CELL_MAX 96      /* a cell's text, with the NUL; longer text is cut */
#define MAX_LINK_COLS 16 /* more links than this are counted, not shown */

enum { COL_NODE, COL_ID, COL_STATE, COL_FOR, COL_LINK0 };

struct table {
    const json_t *status;
    const json_t *nodes;   /* the "nodes" array, or NULL */
    const char *self_name; /* "node" of the status, to spot self when "self" is missing */
    bool have_now;         /* now_mono is known: show how long each node has been in its state */
    double now;
    const char *links[MAX_LINK_COLS]; /* column names, in order of first appearance */
    int n_links;
    int hidden_links;
    size_t width[COL_LINK0 + MAX_LINK_COLS];
};

/* Copy s into a cell: cut at a character boundary to fit, control characters
 * replaced by '?', so that a name can neither break the layout nor drive
 * the terminal. */
static void cell_set(char *buf, size_t size, const char *s)
{
    size_t i = 0;

    for (; *s && i + 1 < size; s++) {
        unsigned char c = (unsigned char)*s;
        buf[i++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    /* Do not leave half of a UTF-8 sequence at the cut. */
    if (*s && ((unsigned char)*s & 0xc0) == 0x80) {
        while (i > 0 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80)
            i--;
        if (i > 0 && ((unsigned char)buf[i - 1] & 0xc0) == 0xc0)
            i--;
    }
    buf[i] = '\0';
}

/* Columns a string takes on a terminal: one per UTF-8 character (wide
 * characters are rare in names and are not worth a wcwidth table). */
static size_t text_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

static const char *get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key)); /* NULL unless a string */
}

/* A number field, integer or real; false when missing or of another type. */
static bool get_num(const json_t *obj, const char *key, double *out)
{
    const json_t *v = json_object_get(obj, key);

    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

static void str_or_unknown(char *buf, size_t size, const char *s)
{
    cell_set(buf, size, s ? s : "?");
}

/* "0.4s", "12s", "5m03s", "2h05m", "3d04h": how long something has been so;
 * negative when a writer's clock is ahead of ours. */
void ctl_format_age(char *buf, size_t size, double s)
{
    const char *sign = s < 0 ? "-" : "";

    if (s < 0)
        s = -s;
    if (s < 10)
        snprintf(buf, size, "%s%.1fs", sign, s);
    else if (s < 60)
        snprintf(buf, size, "%s%ds", sign, (int)s);
    else if (s < 3600)
        snprintf(buf, size, "%s%dm%02ds", sign, (int)s / 60, (int)s % 60);
    else if (s < 86400)
        snprintf(buf, size, "%s%dh%02dm", sign, (int)(s / 3600), (int)s % 3600 / 60);
    else if (s < 1e9)
        snprintf(buf, size, "%s%dd%02dh", sign, (int)(s / 86400), (int)s % 86400 / 3600);
    else
        snprintf(buf, size, "?");
}

static void add_link_col(struct table *t, const char *name)
{
    for (int i = 0; i < t->n_links; i++)
        if (strcmp(t->links[i], name) == 0)
            return;
    if (t->n_links < MAX_LINK_COLS)
        t->links[t->n_links++] = name;
    else
        t->hidden_links++;
}

/* Link columns: the configured links first (status "links"), in their order,
 * then any other link a node reports. */
static void collect_links(struct table *t)
{
    const json_t *links = json_object_get(t->status, "links");
    size_t i;

    if (json_is_array(links)) {
        for (i = 0; i < json_array_size(links); i++) {
            const char *name = get_str(json_array_get(links, i), "name");

            if (name)
                add_link_col(t, name);
        }
    }
    if (!t->nodes)
        return;
    for (i = 0; i < json_array_size(t->nodes); i++) {
        json_t *nl = json_object_get(json_array_get(t->nodes, i), "links");

        for (void *it = json_object_iter(nl); it; it = json_object_iter_next(nl, it))
            add_link_col(t, json_object_iter_key(it));
    }
}

static bool node_is_self(const struct table *t, const json_t *node)
{
    const json_t *self = json_object_get(node, "self");
    const char *name;

    if (json_is_boolean(self))
        return json_is_true(self);
    name = get_str(node, "name");
    return name && t->self_name && strcmp(name, t->self_name) == 0;
}

/* One link cell of a node: "up 0.18ms" (smoothed rtt, else last rtt, else
 * just "up"), "down", "-" for the node itself or a link it does not have, "?"
 * for anything unreadable. */
static void format_link(const struct table *t, const json_t *node, const char *link, char *buf,
                        size_t size)
{
    const json_t *links = json_object_get(node, "links");
    const json_t *v;
    const char *state;
    double rtt;

    if (node_is_self(t, node)) {
        cell_set(buf, size, "-");
        return;
    }
    if (!json_is_object(links)) {
        cell_set(buf, size, "?");
        return;
    }
    v = json_object_get(links, link);
    if (!v) {
        cell_set(buf, size, "-");
        return;
    }
    state = json_string_value(v);
    if (!state) {
        cell_set(buf, size, "?");
        return;
    }
    if (strcmp(state, "up") == 0) {
        const json_t *d = json_object_get(json_object_get(node, "link_detail"), link);
        if ((get_num(d, "srtt_ms", &rtt) && rtt >= 0) || (get_num(d, "rtt_ms", &rtt) && rtt >= 0))
            snprintf(buf, size, "up %.2fms", rtt);
        else
            cell_set(buf, size, "up");
        return;
    }
    cell_set(buf, size, state);
}

/* The text of one cell; node NULL gives the header row. */
static void format_cell(const struct table *t, const json_t *node, int col, char *buf, size_t size)
{
    static const char *const head[] = {"NODE", "ID", "STATE", "FOR"};
    const json_t *v;
    double since;

    if (!node) {
        cell_set(buf, size, col < COL_LINK0 ? head[col] : t->links[col - COL_LINK0]);
        return;
    }
    switch (col) {
    case COL_NODE:
        str_or_unknown(buf, size, get_str(node, "name"));
        break;
    case COL_ID:
        v = json_object_get(node, "id");
        if (json_is_integer(v))
            snprintf(buf, size, "%lld", (long long)json_integer_value(v));
        else
            cell_set(buf, size, "?");
        break;
    case COL_STATE:
        str_or_unknown(buf, size, get_str(node, "state"));
        break;
    case COL_FOR:
        if (get_num(node, "since_mono", &since) && since <= t->now)
            ctl_format_age(buf, size, t->now - since);
        else
            cell_set(buf, size, "?");
        break;
    default:
        format_link(t, node, t->links[col - COL_LINK0], buf, size);
        break;
    }
}

static bool col_shown(const struct table *t, int col)
{
    return col != COL_FOR || t->have_now;
}

/* Write one row, columns padded to t->width; no trailing blanks. */
static void put_row(FILE *out, const struct table *t, const json_t *node)
{
    int n_cols = COL_LINK0 + t->n_links;
    size_t pad = 0;
    char cell[CELL_MAX];

    for (int c = 0; c < n_cols; c++) {
        if (!col_shown(t, c))
            continue;
        format_cell(t, node, c, cell, sizeof(cell));
        fprintf(out, "%*s%s", (int)pad, "", cell);
        pad = t->width[c] - text_width(cell) + 2;
    }
    fputc('\n', out);
}

/* The node x link table: a first pass sizes the columns, a second writes. */
static void render_nodes(FILE *out, struct table *t)
{
    int n_cols = COL_LINK0 + t->n_links;
    char cell[CELL_MAX];
    size_t i;

    if (!t->nodes) {
        fprintf(out, "nodes: ?\n");
        return;
    }
    for (int c = 0; c < n_cols; c++) {
        format_cell(t, NULL, c, cell, sizeof(cell));
        t->width[c] = text_width(cell);
    }
    for (i = 0; i < json_array_size(t->nodes); i++) {
        const json_t *node = json_array_get(t->nodes, i);

        for (int c = 0; c < n_cols; c++) {
            size_t w;
            format_cell(t, node, c, cell, sizeof(cell));
            w = text_width(cell);
            if (w > t->width[c])
                t->width[c] = w;
        }
    }
    put_row(out, t, NULL);
    for (i = 0; i < json_array_size(t->nodes); i++)
        put_row(out, t, json_array_get(t->nodes, i));
    if (t->hidden_links > 0)
        fprintf(out, "(%d more links not shown; see vigilctl status --json)\n", t->hidden_links);
}

/* "cluster web  node alpha (id 1)  incarnation 5f1c9e0a7b3d2e11  uptime 12s" */
static void render_header(FILE *out, const struct table *t)
{
    const json_t *st = t->status;
    const json_t *id = json_object_get(st, "id");
    char a[CELL_MAX], b[CELL_MAX];
    double up;

    str_or_unknown(a, sizeof(a), get_str(st, "cluster"));
    str_or_unknown(b, sizeof(b), get_str(st, "node"));
    fprintf(out, "cluster %s  node %s", a, b);
    if (json_is_integer(id))
        fprintf(out, " (id %lld)", (long long)json_integer_value(id));
    str_or_unknown(a, sizeof(a), get_str(st, "incarnation"));
    fprintf(out, "  incarnation %s", a);
    if (get_num(st, "uptime_s", &up) && up >= 0) {
        ctl_format_age(a, sizeof(a), up);
        fprintf(out, "  uptime %s", a);
    }
    fputc('\n', out);
}

/* "view epoch 7 (provisional)  members alpha, beta  quorate  coordinator alpha" */
static void render_view(FILE *out, const struct table *t)
{
    const json_t *view = json_object_get(t->status, "view");
    const json_t *epoch = json_object_get(view, "epoch");
    const json_t *members = json_object_get(view, "members");
    const json_t *quorate = json_object_get(view, "quorate");
    char cell[CELL_MAX];
    size_t i;

    if (!json_is_object(view)) {
        fprintf(out, "view ?\n");
        return;
    }
    if (json_is_integer(epoch))
        fprintf(out, "view epoch %lld", (long long)json_integer_value(epoch));
    else
        fprintf(out, "view epoch ?");
    if (json_is_true(json_object_get(view, "provisional")))
        fprintf(out, " (provisional)");

    fprintf(out, "  members ");
    if (!json_is_array(members))
        fprintf(out, "?");
    else if (json_array_size(members) == 0)
        fprintf(out, "(none)");
    for (i = 0; i < json_array_size(members); i++) {
        const json_t *m = json_array_get(members, i);

        str_or_unknown(cell, sizeof(cell), json_string_value(m));
        fprintf(out, "%s%s", i ? ", " : "", cell);
    }

    if (json_is_boolean(quorate))
        fprintf(out, "  %s", json_is_true(quorate) ? "quorate" : "NOT quorate");
    else
        fprintf(out, "  quorate ?");
    if (json_is_string(json_object_get(view, "quorum"))) {
        str_or_unknown(cell, sizeof(cell), get_str(view, "quorum"));
        fprintf(out, " (%s)", cell);
    }

    str_or_unknown(cell, sizeof(cell), get_str(view, "coordinator"));
    if (json_is_null(json_object_get(view, "coordinator")))
        cell_set(cell, sizeof(cell), "(none)");
    fprintf(out, "  coordinator %s\n", cell);
}

/* Only what needs attention: a link whose own socket is not up. */
static void render_link_sockets(FILE *out, const struct table *t)
{
    const json_t *links = json_object_get(t->status, "links");
    char name[CELL_MAX], state[CELL_MAX];
    size_t i;

    for (i = 0; i < json_array_size(links); i++) {
        const json_t *l = json_array_get(links, i);
        const char *sock = get_str(l, "socket");

        if (!sock || strcmp(sock, "up") == 0)
            continue;
        str_or_unknown(name, sizeof(name), get_str(l, "name"));
        cell_set(state, sizeof(state), sock);
        fprintf(out, "link %s: this node's socket is %s\n", name, state);
    }
}

/* Under the groups: the admin state of each group that has any (vigilctl
 * move, stop), so that no preference is hidden. */
static void render_admin(FILE *out, const json_t *groups)
{
    size_t i;
    const json_t *g;

    json_array_foreach(groups, i, g)
    {
        char name[CELL_MAX], target[CELL_MAX], lapsed[CELL_MAX];
        const char *t = get_str(g, "move_target"), *l = get_str(g, "move_lapsed");

        str_or_unknown(name, sizeof(name), get_str(g, "name"));
        if (t) {
            cell_set(target, sizeof(target), t);
            if (l)
                cell_set(lapsed, sizeof(lapsed), l);
            fprintf(out,
                    "group %s: moved to %s by the administrator%s%s%s (vigilctl move %s --clear)\n",
                    name, target, l ? " (lapsed: " : "", l ? lapsed : "", l ? ")" : "", name);
        }
        if (json_is_true(json_object_get(g, "admin_stopped")))
            fprintf(out, "group %s: stopped by the administrator (vigilctl start %s)\n", name,
                    name);
    }
}

#define RES_COLS 6

struct res_row {
    char cell[RES_COLS][CELL_MAX];
    char why[CELL_MAX * 2]; /* the reason of a last monitor that did not pass */
};

/* "ok 1.2s ago", "probe: not running (exit 7) 12s ago", "-" (none yet). */
static void monitor_cell(char *buf, size_t size, const json_t *m, char *why, size_t whysize)
{
    const char *result = get_str(m, "result");
    const json_t *code = json_object_get(m, "exit_code");
    char res[32], age[32] = "?", exit_text[32] = "";
    double a;

    why[0] = '\0';
    if (!json_is_object(m)) {
        cell_set(buf, size, json_is_null(m) ? "-" : "?");
        return;
    }
    str_or_unknown(res, sizeof(res), result);
    if (get_num(m, "age_s", &a))
        ctl_format_age(age, sizeof(age), a);
    if (json_is_integer(code))
        snprintf(exit_text, sizeof(exit_text), " (exit %lld)", (long long)json_integer_value(code));
    snprintf(buf, size, "%s%s%s %s ago", json_is_true(json_object_get(m, "probe")) ? "probe: " : "",
             res, exit_text, age);
    if (result && strcmp(result, "ok") != 0 && get_str(m, "reason"))
        cell_set(why, whysize, get_str(m, "reason"));
}

/* One row of a resource of group `gname`. */
static void resource_row(struct res_row *row, const char *gname, const json_t *r)
{
    const json_t *fails = json_object_get(r, "failures");

    cell_set(row->cell[0], sizeof(row->cell[0]), gname);
    str_or_unknown(row->cell[1], sizeof(row->cell[1]), get_str(r, "name"));
    str_or_unknown(row->cell[2], sizeof(row->cell[2]), get_str(r, "type"));
    str_or_unknown(row->cell[3], sizeof(row->cell[3]), get_str(r, "state"));
    if (json_is_integer(fails))
        snprintf(row->cell[4], sizeof(row->cell[4]), "%lld", (long long)json_integer_value(fails));
    else
        cell_set(row->cell[4], sizeof(row->cell[4]), "-");
    monitor_cell(row->cell[5], sizeof(row->cell[5]), json_object_get(r, "last_monitor"), row->why,
                 sizeof(row->why));
}

/* Under the groups: each resource as this node's runner knows it (status
 * "resources" with a "state"; an older vigild has none, and nothing is
 * shown). Other nodes' resources are not on the wire: status there. */
static void render_resources(FILE *out, const struct table *t, const json_t *groups)
{
    static const char *const head[RES_COLS] = {"GROUP", "RESOURCE", "TYPE",
                                               "STATE", "FAILURES", "LAST MONITOR"};
    size_t width[RES_COLS], n = 0, i, k;
    struct res_row *rows;
    const json_t *g, *r;
    char self[CELL_MAX];

    json_array_foreach(groups, i, g)
    {
        const json_t *res = json_object_get(g, "resources");

        json_array_foreach(res, k, r) n += get_str(r, "state") != NULL;
    }
    if (n == 0 || !(rows = calloc(n, sizeof(*rows))))
        return;
    n = 0;
    json_array_foreach(groups, i, g)
    {
        char gname[CELL_MAX];

        str_or_unknown(gname, sizeof(gname), get_str(g, "name"));
        json_array_foreach(json_object_get(g, "resources"), k, r) if (get_str(r, "state"))
            resource_row(&rows[n++], gname, r);
    }
    for (int c = 0; c < RES_COLS; c++) {
        width[c] = text_width(head[c]);
        for (i = 0; i < n; i++)
            if (text_width(rows[i].cell[c]) > width[c])
                width[c] = text_width(rows[i].cell[c]);
    }
    str_or_unknown(self, sizeof(self), t->self_name);
    fprintf(out, "\nresources on %s (this node; each node shows its own):\n", self);
    for (i = 0; i <= n; i++) {
        for (int c = 0; c < RES_COLS; c++) {
            const char *text = i == 0 ? head[c] : rows[i - 1].cell[c];

            fputs(text, out);
            if (c < RES_COLS - 1 || (i > 0 && rows[i - 1].why[0]))
                for (size_t p = text_width(text); p < width[c] + 2; p++)
                    fputc(' ', out);
        }
        fprintf(out, "%s\n", i > 0 ? rows[i - 1].why : "");
    }
    free(rows);
}

/* "fencing n1: failed: level 1: ..." for each node this node fences or
 * fenced; nothing for idle ones. */
static void render_fencing(FILE *out, const struct table *t)
{
    const json_t *nodes = json_object_get(t->status, "nodes");
    size_t i;
    const json_t *n;

    if (!json_is_array(nodes))
        return;
    json_array_foreach(nodes, i, n)
    {
        const json_t *f = json_object_get(n, "fencing");
        const char *state = get_str(f, "state"), *last = get_str(f, "last");
        if (!state || strcmp(state, "idle") == 0)
            continue;
        fprintf(out, "fencing %s: %s%s%s\n", get_str(n, "name") ? get_str(n, "name") : "?", state,
                last ? ": " : "", last ? last : "");
    }
}

/* One row per group: GROUP STATE NODE, and the coordinator's last
 * placement decision when this node is the coordinator. "groups: none"
 * without groups; nothing when the field is absent. */
static void render_groups(FILE *out, const struct table *t)
{
    const json_t *groups = json_object_get(t->status, "groups");
    const char *fencing = get_str(t->status, "fencing");
    static const char *const head[] = {"GROUP", "STATE", "NODE", "PLACEMENT"};
    size_t width[3] = {0}, n;

    if (fencing && strcmp(fencing, "none") == 0)
        fprintf(out, "fencing: none (UNSAFE: a node that leaves the view counts as stopped)\n");
    render_fencing(out, t);
    if (!groups)
        return;
    if (!json_is_array(groups) || json_array_size(groups) == 0) {
        fprintf(out, "groups: %s\n", json_is_array(groups) ? "none" : "?");
        return;
    }
    n = json_array_size(groups);
    for (int c = 0; c < 3; c++)
        width[c] = text_width(head[c]);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            fprintf(out, "%-*s  %-*s  %-*s  %s\n", (int)width[0], head[0], (int)width[1], head[1],
                    (int)width[2], head[2], head[3]);
        for (size_t i = 0; i < n; i++) {
            const json_t *g = json_array_get(groups, i);
            const json_t *place = json_object_get(g, "placement");
            char cell[3][CELL_MAX], reason[CELL_MAX * 2 + 2] = "";
            const char *node = get_str(g, "node");

            str_or_unknown(cell[0], sizeof(cell[0]), get_str(g, "name"));
            str_or_unknown(cell[1], sizeof(cell[1]), get_str(g, "state"));
            cell_set(cell[2], sizeof(cell[2]), node ? node : "-");
            if (get_str(place, "action") && get_str(place, "reason")) {
                char act[CELL_MAX], why[CELL_MAX];
                cell_set(act, sizeof(act), get_str(place, "action"));
                cell_set(why, sizeof(why), get_str(place, "reason"));
                snprintf(reason, sizeof(reason), "%s: %s", act, why);
            }
            if (pass == 0) {
                for (int c = 0; c < 3; c++)
                    if (text_width(cell[c]) > width[c])
                        width[c] = text_width(cell[c]);
                continue;
            }
            /* pad by display width, not bytes */
            for (int c = 0; c < 3; c++) {
                fputs(cell[c], out);
                if (c < 2 || reason[0])
                    for (size_t k = text_width(cell[c]); k < width[c] + 2; k++)
                        fputc(' ', out);
            }
            fprintf(out, "%s\n", reason);
        }
    }
    render_admin(out, groups);
    render_resources(out, t, groups);
}

/* "drops: bad_mac 3, replay 1": the non-zero counters only. */
static void render_drops(FILE *out, const struct table *t)
{
    json_t *drops = json_object_get(t->status, "drops");
    char name[CELL_MAX];
    int shown = 0;

    if (!drops)
        return;
    fprintf(out, "drops: ");
    if (!json_is_object(drops)) {
        fprintf(out, "?\n");
        return;
    }
    for (void *it = json_object_iter(drops); it; it = json_object_iter_next(drops, it)) {
        const char *key = json_object_iter_key(it);
        const json_t *v = json_object_iter_value(it);

        if (!json_is_number(v) || !(json_number_value(v) > 0))
            continue;
        cell_set(name, sizeof(name), key);
        if (json_is_integer(v))
            fprintf(out, "%s%s %lld", shown ? ", " : "", name, (long long)json_integer_value(v));
        else
            fprintf(out, "%s%s %.0f", shown ? ", " : "", name, json_real_value(v));
        shown++;
    }
    fprintf(out, "%s\n", shown ? "" : "none");
}

int ctl_status_render(const json_t *status, FILE *out)
{
    struct table t = {.status = status};

    if (!json_is_object(status)) {
        fprintf(out, "(the status is not a JSON object)\n");
        return ferror(out) ? -EIO : 0;
    }
    t.nodes =
        json_is_array(json_object_get(status, "nodes")) ? json_object_get(status, "nodes") : NULL;
    t.self_name = get_str(status, "node");
    t.have_now = get_num(status, "now_mono", &t.now);
    collect_links(&t);

    render_header(out, &t);
    render_view(out, &t);
    fputc('\n', out);
    render_nodes(out, &t);
    render_link_sockets(out, &t);
    fputc('\n', out);
    render_groups(out, &t);
    render_drops(out, &t);
    return ferror(out) ? -EIO : 0;
}
