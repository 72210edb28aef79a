/* What vigilctl disk dump shows: the blocks read by ctl_disk_read_image(),
 * decoded once, then written as text for people or as JSON for scripts. No
 * I/O besides writing to the given FILE; the time comes in as an argument. */
#include "ctl.h"
#include "disk.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One block worth showing: a written slot, a mailbox holding a request, or
 * a block that does not decode. */
struct entry {
    int block;
    int node; /* whose slot or mailbox this block is */
    bool mailbox;
    bool bad;
    char err[CTL_DISK_ERR_LEN]; /* why it is bad */
    struct disk_slot slot;
    struct disk_mailbox mbox;
};

struct decoded {
    int header_rc;
    struct disk_header header;
    char header_err[CTL_DISK_ERR_LEN];
    int n_slots, n_mailboxes, n_bad;
    int n;
    struct entry e[CTL_DISK_MAX_BLOCKS];
    int problems;
};

static const uint8_t *block_at(const struct ctl_disk_image *img, int i)
{
    return img->blocks + (size_t)i * DISK_BLOCK_SIZE;
}

static void decode_block(const struct ctl_disk_image *img, int i, struct entry *e)
{
    int r;

    memset(e, 0, sizeof(*e));
    e->block = i;
    e->node = (i + 1) / 2;
    e->mailbox = i % 2 == 0;
    if (img->read_rc[i] < 0) {
        e->bad = true;
        snprintf(e->err, sizeof(e->err), "cannot read it: %s", strerror(-img->read_rc[i]));
        return;
    }
    if (e->mailbox) {
        r = disk_mailbox_decode(block_at(img, i), &e->mbox, e->err, sizeof(e->err));
        if (r == 0 && e->mbox.node != e->node)
            snprintf(e->err, sizeof(e->err), "holds a request for node %u, not for node %d",
                     e->mbox.node, e->node);
    } else {
        r = disk_slot_decode(block_at(img, i), &e->slot, e->err, sizeof(e->err));
        if (r == 0 && e->slot.node != e->node)
            snprintf(e->err, sizeof(e->err), "holds the slot of node %u, not of node %d",
                     e->slot.node, e->node);
    }
    if (r == -ENODATA)
        return;
    e->bad = r < 0 || e->err[0] != '\0';
}

/* Keep what is worth showing. Blocks that do not decode are problems only
 * under a valid header: without one, the rest of the device is someone
 * else's data, and one problem (the header) says it all. */
static void decode_image(const struct ctl_disk_image *img, struct decoded *d)
{
    memset(d, 0, sizeof(*d));
    if (img->read_rc[0] < 0) {
        d->header_rc = img->read_rc[0];
        snprintf(d->header_err, sizeof(d->header_err), "cannot read it: %s",
                 strerror(-img->read_rc[0]));
    } else {
        d->header_rc =
            disk_header_decode(img->blocks, &d->header, d->header_err, sizeof(d->header_err));
    }
    if (d->header_rc < 0)
        d->problems++;

    for (int i = 1; i < img->n_blocks && i < CTL_DISK_MAX_BLOCKS; i++) {
        struct entry *e = &d->e[d->n];

        decode_block(img, i, e);
        if (e->bad) {
            d->n_bad++;
            if (d->header_rc == 0)
                d->problems++;
        } else if (e->mailbox && e->mbox.node != 0 && e->mbox.request != DISK_REQ_NONE) {
            d->n_mailboxes++;
        } else if (!e->mailbox && e->slot.node != 0) {
            d->n_slots++;
        } else {
            continue; /* empty */
        }
        d->n++;
    }
}

/* A node's name from the configuration: NULL without one, "-" when the
 * configuration has no node with that id. */
static const char *node_name(const struct conf *c, int id)
{
    const struct conf_node *n;

    if (!c)
        return NULL;
    n = conf_node_by_id(c, id);
    return n ? n->name : "-";
}

static double age_of(uint64_t now_wall, uint64_t wall_time)
{
    return ((double)now_wall - (double)wall_time) / (double)VG_USEC_PER_SEC;
}

static const char *kind_name(enum ctl_disk_kind k)
{
    return k == CTL_DISK_BLOCK ? "block device" : k == CTL_DISK_FILE ? "regular file" : "?";
}

/* ---- text ---- */

#define MAX_COLS 8
#define CELL_LEN 80

/* A table whose columns are as wide as their widest cell, in characters. */
struct table {
    int n_cols, n_rows;
    char cell[1 + CTL_DISK_MAX_BLOCKS][MAX_COLS][CELL_LEN];
    size_t width[MAX_COLS];
};

/* Columns a cell takes: one per UTF-8 character. */
static size_t text_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

__attribute__((format(printf, 3, 4))) static void cell(struct table *t, int col, const char *fmt,
                                                       ...)
{
    char *c = t->cell[t->n_rows][col];
    va_list ap;
    size_t w;

    va_start(ap, fmt);
    vsnprintf(c, CELL_LEN, fmt, ap);
    va_end(ap);
    for (char *p = c; *p; p++) /* names come from a file: no terminal control */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    w = text_width(c);
    if (w > t->width[col])
        t->width[col] = w;
}

/* Every row, columns two blanks apart, no trailing blanks. */
static void table_print(const struct table *t, FILE *out)
{
    for (int r = 0; r < t->n_rows; r++) {
        size_t pad = 0;

        for (int col = 0; col < t->n_cols; col++) {
            fprintf(out, "%*s%s", (int)pad, "", t->cell[r][col]);
            pad = t->width[col] - text_width(t->cell[r][col]) + 2;
        }
        fputc('\n', out);
    }
}

static void text_header(const struct decoded *d, const struct ctl_disk_image *img,
                        const char *device, const struct conf *c, uint64_t now_wall, FILE *out)
{
    const struct disk_header *h = &d->header;
    char a[32], b[32], when[64], age[32];
    struct tm tm;
    time_t created;

    fprintf(out, "device   %s (%s, %" PRIu64 " bytes)\n", device, kind_name(img->kind), img->size);
    if (d->header_rc < 0) {
        fprintf(out, "header   none valid: %s\n", d->header_err);
        fprintf(out, "         (initialise it with: vigilctl disk init %s -c CONFIG)\n", device);
        return;
    }
    fprintf(out, "cluster  \"%s\" (id 0x%08x)\n", h->cluster_name, h->cluster_id);
    if (c && strcmp(c->cluster_name, h->cluster_name) != 0)
        fprintf(out, "         NOT the cluster of %s (\"%s\")\n", c->path, c->cluster_name);
    fprintf(out, "layout   %u slots (node ids 1..%u), block size %u, %" PRIu64 " bytes used\n",
            h->slots, h->slots, h->block_size, disk_size_needed(h->slots));
    fprintf(out, "timing   interval %s, timeout %s (as configured at init)\n",
            conf_format_duration(h->interval, a, sizeof(a)),
            conf_format_duration(h->timeout, b, sizeof(b)));
    created = (time_t)h->created;
    if (!localtime_r(&created, &tm) ||
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
        snprintf(when, sizeof(when), "%" PRIu64 " s after the epoch", h->created);
    ctl_format_age(age, sizeof(age), age_of(now_wall, h->created * VG_USEC_PER_SEC));
    fprintf(out, "created  %s (%s ago)\n", when, age);
}

/* A group's name for the reports of a slot: the configuration's when it has
 * as many groups as the slot reports (the same file as the nodes'), else
 * its position (#1, #2, ...). */
static const char *group_label(const struct conf *c, int n, int g, char *buf, size_t size)
{
    if (c && c->n_groups == n)
        return c->groups[g].name;
    snprintf(buf, size, "#%d", g + 1);
    return buf;
}

/* Below the slots: each node's group reports, as its slot carries them. */
static void text_group_reports(const struct decoded *d, const struct conf *c, FILE *out)
{
    bool any = false;

    for (int i = 0; i < d->n; i++) {
        const struct entry *e = &d->e[i];
        char label[16];

        if (e->bad || e->mailbox || !e->slot.groups.n)
            continue;
        if (!any)
            fprintf(out, "\ngroup reports (each node's own, from its slot):\n");
        any = true;
        fprintf(out, "  %d", e->node);
        if (c)
            fprintf(out, " %s", node_name(c, e->node));
        fputc(':', out);
        for (int g = 0; g < e->slot.groups.n; g++) {
            const struct wire_group_report *r = &e->slot.groups.g[g];
            const char *name = group_label(c, e->slot.groups.n, g, label, sizeof(label));
            fprintf(out, "%s ", g ? "," : "");
            for (const char *p = name; *p; p++) /* names come from a file */
                fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, out);
            fprintf(out, " %s", wire_group_state_name(r->state));
            if (r->failures)
                fprintf(out, " (%u failure%s)", r->failures, r->failures == 1 ? "" : "s");
        }
        fputc('\n', out);
    }
}

static void text_slots(const struct decoded *d, const struct conf *c, uint64_t now_wall,
                       struct table *t, FILE *out)
{
    int col;

    if (d->n_slots == 0) {
        fprintf(out, "\nslots: none written since init (no node has run on this device)\n");
        return;
    }
    memset(t, 0, sizeof(*t));
    col = 0;
    cell(t, col++, "NODE");
    if (c)
        cell(t, col++, "NAME");
    cell(t, col++, "STATE");
    cell(t, col++, "INCARNATION");
    cell(t, col++, "COUNTER");
    cell(t, col++, "AGE");
    cell(t, col++, "EPOCH");
    t->n_cols = col;
    t->n_rows = 1;
    for (int i = 0; i < d->n; i++) {
        const struct entry *e = &d->e[i];
        char age[32];

        if (e->bad || e->mailbox)
            continue;
        if (e->slot.wall_time)
            ctl_format_age(age, sizeof(age), age_of(now_wall, e->slot.wall_time));
        else
            snprintf(age, sizeof(age), "?");
        col = 0;
        cell(t, col++, "%d", e->node);
        if (c)
            cell(t, col++, "%s", node_name(c, e->node));
        cell(t, col++, "%s", disk_slot_state_name(e->slot.state));
        cell(t, col++, "%016" PRIx64, e->slot.incarnation);
        cell(t, col++, "%" PRIu64, e->slot.counter);
        cell(t, col++, "%s", age);
        cell(t, col++, "%" PRIu64, e->slot.epoch);
        t->n_rows++;
    }
    fputc('\n', out);
    table_print(t, out);
    text_group_reports(d, c, out);
}

static void text_mailboxes(const struct decoded *d, const struct conf *c, struct table *t,
                           FILE *out)
{
    int col;

    if (d->n_mailboxes == 0) {
        fprintf(out, "\nmailboxes: no request pending\n");
        return;
    }
    memset(t, 0, sizeof(*t));
    col = 0;
    cell(t, col++, "MAILBOX");
    if (c)
        cell(t, col++, "NAME");
    cell(t, col++, "FROM");
    cell(t, col++, "REQUEST");
    cell(t, col++, "SEQUENCE");
    cell(t, col++, "EPOCH");
    cell(t, col++, "FOR INCARNATION");
    t->n_cols = col;
    t->n_rows = 1;
    for (int i = 0; i < d->n; i++) {
        const struct entry *e = &d->e[i];

        if (e->bad || !e->mailbox)
            continue;
        col = 0;
        cell(t, col++, "%d", e->node);
        if (c)
            cell(t, col++, "%s", node_name(c, e->node));
        if (e->mbox.from == 0)
            cell(t, col++, "admin"); /* vigilctl disk message */
        else if (c)
            cell(t, col++, "%u (%s)", e->mbox.from, node_name(c, e->mbox.from));
        else
            cell(t, col++, "%u", e->mbox.from);
        cell(t, col++, "%s", disk_request_name(e->mbox.request));
        cell(t, col++, "%" PRIu64, e->mbox.sequence);
        cell(t, col++, "%" PRIu64, e->mbox.epoch);
        if (e->mbox.incarnation)
            cell(t, col++, "%016" PRIx64, e->mbox.incarnation);
        else
            cell(t, col++, "any");
        t->n_rows++;
    }
    fputc('\n', out);
    table_print(t, out);
}

static void text_bad(const struct decoded *d, FILE *out)
{
    if (d->n_bad == 0)
        return;
    if (d->header_rc < 0) {
        fprintf(out, "\n%d other block%s hold%s no Vigil data either\n", d->n_bad,
                d->n_bad == 1 ? "" : "s", d->n_bad == 1 ? "s" : "");
        return;
    }
    fprintf(out, "\nbad blocks:\n");
    for (int i = 0; i < d->n; i++) {
        const struct entry *e = &d->e[i];

        if (e->bad)
            fprintf(out, "  block %d (offset %" PRIu64 ", %s of node %d): %s\n", e->block,
                    (uint64_t)e->block * DISK_BLOCK_SIZE, e->mailbox ? "mailbox" : "slot", e->node,
                    e->err);
    }
}

int ctl_disk_dump_text(const struct ctl_disk_image *img, const char *device, const struct conf *c,
                       uint64_t now_wall, FILE *out)
{
    struct decoded *d = malloc(sizeof(*d));
    struct table *t = malloc(sizeof(*t));
    int problems = -ENOMEM;

    if (!d || !t)
        goto out;
    decode_image(img, d);
    text_header(d, img, device, c, now_wall, out);
    text_slots(d, c, now_wall, t, out);
    text_mailboxes(d, c, t, out);
    text_bad(d, out);
    problems = ferror(out) ? -EIO : d->problems;
out:
    free(d);
    free(t);
    return problems;
}

/* ---- JSON ---- */

static json_t *hex64(uint64_t v)
{
    char buf[17];

    snprintf(buf, sizeof(buf), "%016" PRIx64, v);
    return json_string(buf);
}

/* A node's name, or null: no configuration given, or not in it. */
static json_t *json_name(const struct conf *c, int id)
{
    const char *n = node_name(c, id);

    return n && strcmp(n, "-") != 0 ? json_string(n) : json_null();
}

static json_t *json_header(const struct decoded *d)
{
    const struct disk_header *h = &d->header;
    char a[32], b[32];

    if (d->header_rc < 0)
        return json_null();
    return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:I}", "cluster", h->cluster_name,
                     "cluster_id", (json_int_t)h->cluster_id, "slots", (json_int_t)h->slots,
                     "block_size", (json_int_t)h->block_size, "interval",
                     conf_format_duration(h->interval, a, sizeof(a)), "timeout",
                     conf_format_duration(h->timeout, b, sizeof(b)), "interval_us",
                     (json_int_t)h->interval, "timeout_us", (json_int_t)h->timeout, "created",
                     (json_int_t)h->created);
}

/* The slot's group reports: {"at_us": N, "list": [{"group": NAME or null,
 * "state": ..., "failures": N}, ...]}, or null when it carries none. */
static json_t *json_group_reports(const struct disk_slot *s, const struct conf *c)
{
    json_t *list;
    char label[16];

    if (!s->groups.n)
        return json_null();
    list = json_array();
    for (int g = 0; list && g < s->groups.n; g++)
        json_array_append_new(
            list, json_pack("{s:o, s:s, s:i}", "group",
                            c && c->n_groups == s->groups.n
                                ? json_string(group_label(c, s->groups.n, g, label, sizeof(label)))
                                : json_null(),
                            "state", wire_group_state_name(s->groups.g[g].state), "failures",
                            (int)s->groups.g[g].failures));
    return json_pack("{s:I, s:o}", "at_us", (json_int_t)s->groups.at, "list", list);
}

static json_t *json_slot(const struct entry *e, const struct conf *c, uint64_t now_wall)
{
    json_t *age = e->slot.wall_time ? json_real(age_of(now_wall, e->slot.wall_time)) : json_null();

    return json_pack("{s:i, s:o, s:s, s:o, s:I, s:I, s:o, s:I, s:o}", "node", e->node, "name",
                     json_name(c, e->node), "state", disk_slot_state_name(e->slot.state),
                     "incarnation", hex64(e->slot.incarnation), "counter",
                     (json_int_t)e->slot.counter, "wall_time_us", (json_int_t)e->slot.wall_time,
                     "age_s", age, "epoch", (json_int_t)e->slot.epoch, "groups",
                     json_group_reports(&e->slot, c));
}

static json_t *json_mailbox(const struct entry *e, const struct conf *c)
{
    return json_pack("{s:i, s:o, s:i, s:o, s:s, s:I, s:I, s:o}", "node", e->node, "name",
                     json_name(c, e->node), "from", (int)e->mbox.from, "from_name",
                     json_name(c, e->mbox.from), "request", disk_request_name(e->mbox.request),
                     "sequence", (json_int_t)e->mbox.sequence, "epoch", (json_int_t)e->mbox.epoch,
                     "incarnation", e->mbox.incarnation ? hex64(e->mbox.incarnation) : json_null());
}

static json_t *json_bad(const struct entry *e)
{
    return json_pack("{s:i, s:I, s:s, s:i, s:s}", "block", e->block, "offset",
                     (json_int_t)e->block * DISK_BLOCK_SIZE, "kind",
                     e->mailbox ? "mailbox" : "slot", "node", e->node, "error", e->err);
}

int ctl_disk_dump_json(const struct ctl_disk_image *img, const char *device, const struct conf *c,
                       uint64_t now_wall, FILE *out)
{
    struct decoded *d = malloc(sizeof(*d));
    json_t *root = NULL, *slots, *mboxes, *bad;
    int r = -ENOMEM;

    if (!d)
        goto out;
    decode_image(img, d);
    slots = json_array();
    mboxes = json_array();
    bad = json_array();
    root = json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:i}", "device", device, "kind",
                     img->kind == CTL_DISK_BLOCK ? "block" : "file", "size", (json_int_t)img->size,
                     "header", json_header(d), "header_error",
                     d->header_rc < 0 ? json_string(d->header_err) : json_null(), "slots", slots,
                     "mailboxes", mboxes, "bad_blocks", bad, "problems", d->problems);
    if (!root)
        goto out;
    for (int i = 0; i < d->n; i++) {
        const struct entry *e = &d->e[i];

        if (e->bad)
            json_array_append_new(bad, json_bad(e));
        else if (e->mailbox)
            json_array_append_new(mboxes, json_mailbox(e, c));
        else
            json_array_append_new(slots, json_slot(e, c, now_wall));
    }
    r = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) == 0 ? 0 : -EIO;
    fputc('\n', out);
    if (r == 0)
        r = ferror(out) ? -EIO : d->problems;
out:
    json_decref(root);
    free(d);
    return r;
}
