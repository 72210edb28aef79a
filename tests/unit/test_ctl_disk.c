/* Unit tests of vigilctl disk init and dump (src/ctl/disk_*.c): init and dump
 * on temporary regular files, the refusal rules on probes made up for the
 * cases no file can show (block devices, busy, partition tables), the
 * deadline of the I/O worker, and the command line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../../src/ctl/ctl.h"
#include "../../src/ctl/disk.h"

#define MIB (1024 * 1024)
#define TIMEOUT (5 * VG_USEC_PER_SEC)
#define AREA (disk_size_needed(VIGIL_MAX_NODES))

struct fixture {
    char dir[64];
    char path[128];
    struct conf conf; /* cluster "web", nodes alpha (1) and beta (2) */
    FILE *null;
};

/* A configuration as conf_load() would give it, without a file: these
 * tests are about the disk, not the parser. */
static void make_conf(struct conf *c, const char *cluster)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->path, sizeof(c->path), "test.conf");
    snprintf(c->cluster_name, sizeof(c->cluster_name), "%s", cluster);
    c->interval = 200 * VG_USEC_PER_MSEC;
    c->timeout = VG_USEC_PER_SEC;
    c->initial_timeout = 10 * VG_USEC_PER_SEC;
    c->n_nodes = 2;
    snprintf(c->nodes[0].name, sizeof(c->nodes[0].name), "alpha");
    c->nodes[0].id = 1;
    snprintf(c->nodes[1].name, sizeof(c->nodes[1].name), "beta");
    c->nodes[1].id = 2;
}

/* A disk link "shared" on `device`, with the timing of [cluster]. */
static struct conf_link *add_disk_link(struct conf *c, const char *device)
{
    struct conf_link *l = &c->links[c->n_links++];

    memset(l, 0, sizeof(*l));
    snprintf(l->name, sizeof(l->name), "shared");
    l->type = LINK_DISK;
    snprintf(l->device, sizeof(l->device), "%s", device);
    l->interval = c->interval;
    l->timeout = c->timeout;
    return l;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-disk-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/hb.img", f->dir);
    make_conf(&f->conf, "web");
    add_disk_link(&f->conf, f->path);
    f->null = fopen("/dev/null", "w");
    assert_non_null(f->null);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    unlink(f->path);
    rmdir(f->dir);
    fclose(f->null);
    free(f);
    return 0;
}

/* A file of `size` bytes, every byte `fill`. */
static void make_file(const char *path, size_t size, int fill)
{
    uint8_t *buf = malloc(size);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_non_null(buf);
    assert_true(fd >= 0);
    memset(buf, fill, size);
    assert_int_equal(write(fd, buf, size), (ssize_t)size);
    close(fd);
    free(buf);
}

static void read_at(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static void write_at(const char *path, uint64_t off, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static int read_header(const char *path, struct disk_header *h)
{
    uint8_t block[DISK_BLOCK_SIZE];
    char err[CTL_DISK_ERR_LEN];

    read_at(path, 0, block, sizeof(block));
    return disk_header_decode(block, h, err, sizeof(err));
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

/* The minimal ext4 superblock libblkid recognises: the magic 0xEF53
 * (little-endian) at byte 1080 and the "extents" incompatible feature. */
static void write_ext4_signature(const char *path)
{
    static const uint8_t magic[] = {0x53, 0xef};
    static const uint8_t extents[] = {0x40};

    write_at(path, 1024 + 56, magic, sizeof(magic));
    write_at(path, 1024 + 96, extents, sizeof(extents));
}

/* Probe a file and judge it, as init does. */
static void judge(const char *path, const struct conf *c, bool force, struct ctl_disk_verdict *v)
{
    struct ctl_disk_probe p;
    char err[CTL_DISK_MSG_LEN] = "";

    assert_int_equal(ctl_disk_probe(path, &p, err, sizeof(err)), 0);
    if (p.fd >= 0)
        close(p.fd);
    ctl_disk_decide(&p, path, c, force, v);
}

static bool has_note(char (*list)[CTL_DISK_MSG_LEN], int n, const char *want)
{
    for (int i = 0; i < n; i++)
        if (strstr(list[i], want))
            return true;
    return false;
}

static void assert_refused_with(const struct ctl_disk_verdict *v, const char *want)
{
    if (v->write || !has_note((char(*)[CTL_DISK_MSG_LEN])v->refusals, v->n_refusals, want))
        fail_msg("expected a refusal with '%s'; write %d, %d refusal(s), first: %s", want, v->write,
                 v->n_refusals, v->n_refusals ? v->refusals[0] : "-");
}

static void assert_warned_with(const struct ctl_disk_verdict *v, const char *want)
{
    if (!has_note((char(*)[CTL_DISK_MSG_LEN])v->warnings, v->n_warnings, want))
        fail_msg("expected a warning with '%s'; %d warning(s), first: %s", want, v->n_warnings,
                 v->n_warnings ? v->warnings[0] : "-");
}

/* ---- init on files ---- */

/* A fresh 1 MiB file: a header for this cluster, every slot and mailbox
 * zero, and nothing written past the area. */
static void test_init_fresh(void **state)
{
    struct fixture *f = *state;
    struct disk_header h;
    uint8_t *buf = malloc(MIB);

    assert_non_null(buf);
    make_file(f->path, MIB, 0xa5);
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_OK);

    assert_int_equal(read_header(f->path, &h), 0);
    assert_true(h.cluster_id == wire_cluster_id("web"));
    assert_string_equal(h.cluster_name, "web");
    assert_int_equal(h.slots, VIGIL_MAX_NODES);
    assert_int_equal(h.block_size, DISK_BLOCK_SIZE);
    assert_true(h.interval == 200 * VG_USEC_PER_MSEC);
    assert_true(h.timeout == VG_USEC_PER_SEC);
    assert_true(h.created > 1700000000 && h.created <= (uint64_t)time(NULL));

    read_at(f->path, 0, buf, MIB);
    for (int id = 1; id <= VIGIL_MAX_NODES; id++) {
        assert_true(all_bytes(buf + disk_slot_offset(id), DISK_BLOCK_SIZE, 0));
        assert_true(all_bytes(buf + disk_mailbox_offset(id), DISK_BLOCK_SIZE, 0));
    }
    assert_true(all_bytes(buf + AREA, MIB - AREA, 0xa5));
    free(buf);
}

/* The timing of the configuration's disk link on that device wins over
 * [cluster]'s; a device no disk link names is initialised with a warning. */
static void test_init_link_timing(void **state)
{
    struct fixture *f = *state;
    struct conf_link *l;
    struct ctl_disk_verdict v;
    struct disk_header h;

    make_file(f->path, MIB, 0);
    f->conf.n_links = 0;
    judge(f->path, &f->conf, false, &v);
    assert_true(v.write);
    assert_warned_with(&v, "has no disk link yet");

    l = add_disk_link(&f->conf, "/dev/disk/by-partlabel/vigil-hb");
    l->interval = 250 * VG_USEC_PER_MSEC;
    l->timeout = 3 * VG_USEC_PER_SEC;
    judge(f->path, &f->conf, false, &v);
    assert_true(v.write);
    assert_warned_with(&v, "link \"shared\" is on /dev/disk/by-partlabel/vigil-hb");

    snprintf(l->device, sizeof(l->device), "%s", f->path);
    judge(f->path, &f->conf, false, &v);
    assert_true(v.write);
    assert_int_equal(v.n_warnings, 0);
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_OK);
    assert_int_equal(read_header(f->path, &h), 0);
    assert_true(h.interval == 250 * VG_USEC_PER_MSEC);
    assert_true(h.timeout == 3 * VG_USEC_PER_SEC);
}

/* Too small: refused, with --force too, and the file is not grown. */
static void test_init_too_small(void **state)
{
    struct fixture *f = *state;
    struct ctl_disk_verdict v;
    struct stat st;
    uint8_t block[DISK_BLOCK_SIZE];

    make_file(f->path, 64 * 1024, 0);
    judge(f->path, &f->conf, false, &v);
    assert_refused_with(&v, "too small");
    assert_refused_with(&v, "truncate -s 1M");
    judge(f->path, &f->conf, true, &v);
    assert_refused_with(&v, "too small");

    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_FAIL);
    assert_int_equal(ctl_disk_init(f->path, &f->conf, true, TIMEOUT, f->null), CTL_EXIT_FAIL);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_size, 64 * 1024);
    read_at(f->path, 0, block, sizeof(block));
    assert_true(all_bytes(block, sizeof(block), 0));

    /* one byte short of the area */
    make_file(f->path, AREA - 1, 0);
    assert_int_equal(ctl_disk_init(f->path, &f->conf, true, TIMEOUT, f->null), CTL_EXIT_FAIL);
    make_file(f->path, AREA, 0);
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_OK);
}

static void test_init_missing(void **state)
{
    struct fixture *f = *state;
    struct ctl_disk_verdict v;

    judge(f->path, &f->conf, true, &v);
    assert_refused_with(&v, "does not exist");
    assert_int_equal(ctl_disk_init(f->path, &f->conf, true, TIMEOUT, f->null), CTL_EXIT_FAIL);
    assert_int_equal(access(f->path, F_OK), -1); /* not created either */

    judge(f->dir, &f->conf, true, &v);
    assert_refused_with(&v, "neither a block device nor a regular file");
}

/* An ext4 file system: refused, named, unless --force. */
static void check_ext4_refused(struct fixture *f)
{
    struct ctl_disk_verdict v;
    struct disk_header h;
    uint8_t magic[2];

    judge(f->path, &f->conf, false, &v);
    assert_refused_with(&v, "TYPE=ext4");
    assert_refused_with(&v, "a file system");
    assert_refused_with(&v, "wipefs -a");
    assert_refused_with(&v, "--force");
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_FAIL);
    read_at(f->path, 1080, magic, sizeof(magic));
    assert_int_equal(magic[0], 0x53);
    assert_int_equal(magic[1], 0xef);

    judge(f->path, &f->conf, true, &v);
    assert_true(v.write);
    assert_warned_with(&v, "TYPE=ext4");
    assert_int_equal(ctl_disk_init(f->path, &f->conf, true, TIMEOUT, f->null), CTL_EXIT_OK);
    assert_int_equal(read_header(f->path, &h), 0);
    assert_string_equal(h.cluster_name, "web");
}

static void test_init_ext4_minimal(void **state)
{
    struct fixture *f = *state;

    make_file(f->path, MIB, 0);
    write_ext4_signature(f->path);
    check_ext4_refused(f);
}

/* A real one, when mkfs.ext4 is there: what an admin's wrong path meets. */
static void test_init_ext4_mkfs(void **state)
{
    struct fixture *f = *state;
    char cmd[256];

    if (system("command -v mkfs.ext4 >/dev/null 2>&1") != 0)
        skip();
    make_file(f->path, MIB, 0);
    snprintf(cmd, sizeof(cmd), "mkfs.ext4 -q -F %s >/dev/null 2>&1", f->path);
    if (system(cmd) != 0)
        skip();
    check_ext4_refused(f);
}

/* A DOS partition table (one Linux partition at sector 2048): what a whole
 * disk given instead of its partition looks like to libblkid. */
static void test_init_partition_table(void **state)
{
    struct fixture *f = *state;
    static const uint8_t entry[16] = {0, 0, 2, 0, 0x83, 0, 0, 0, 0x00, 0x08, 0, 0, 100, 0, 0, 0};
    static const uint8_t boot_signature[] = {0x55, 0xaa};
    struct ctl_disk_verdict v;

    make_file(f->path, MIB, 0);
    write_at(f->path, 446, entry, sizeof(entry));
    write_at(f->path, 510, boot_signature, sizeof(boot_signature));
    judge(f->path, &f->conf, false, &v);
    assert_refused_with(&v, "partition table (blkid PTTYPE=dos)");
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_FAIL);
    judge(f->path, &f->conf, true, &v);
    assert_true(v.write);
}

/* Another cluster's area: refused and named without --force, taken with. */
static void test_init_other_cluster(void **state)
{
    struct fixture *f = *state;
    struct conf db;
    struct ctl_disk_verdict v;
    struct disk_header h;

    make_conf(&db, "db");
    add_disk_link(&db, f->path);
    make_file(f->path, MIB, 0);
    assert_int_equal(ctl_disk_init(f->path, &db, false, TIMEOUT, f->null), CTL_EXIT_OK);

    judge(f->path, &f->conf, false, &v);
    assert_refused_with(&v, "another cluster, \"db\"");
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_FAIL);
    assert_int_equal(read_header(f->path, &h), 0);
    assert_string_equal(h.cluster_name, "db");

    judge(f->path, &f->conf, true, &v);
    assert_true(v.write);
    assert_warned_with(&v, "\"db\"");
    assert_int_equal(ctl_disk_init(f->path, &f->conf, true, TIMEOUT, f->null), CTL_EXIT_OK);
    assert_int_equal(read_header(f->path, &h), 0);
    assert_string_equal(h.cluster_name, "web");
    assert_true(h.cluster_id == wire_cluster_id("web"));
}

/* The same cluster again: allowed, with a warning, and every slot cleared. */
static void test_init_same_cluster(void **state)
{
    struct fixture *f = *state;
    struct disk_slot s = {.node = 1, .state = DISK_SLOT_RUNNING, .incarnation = 7, .counter = 9};
    struct ctl_disk_verdict v;
    uint8_t block[DISK_BLOCK_SIZE];

    make_file(f->path, MIB, 0);
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_OK);
    disk_slot_encode(block, &s);
    write_at(f->path, disk_slot_offset(1), block, sizeof(block));

    judge(f->path, &f->conf, false, &v);
    assert_true(v.write);
    assert_warned_with(&v, "running nodes will see a reset");
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_OK);
    read_at(f->path, disk_slot_offset(1), block, sizeof(block));
    assert_true(all_bytes(block, sizeof(block), 0));
}

/* A header with the magic that does not decode (another version, damage):
 * maybe a live cluster, so refused unless --force. */
static void test_init_unreadable_header(void **state)
{
    struct fixture *f = *state;
    struct ctl_disk_verdict v;
    uint8_t byte = 0x77;

    make_file(f->path, MIB, 0);
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_OK);
    write_at(f->path, 100, &byte, 1); /* breaks the checksum */
    judge(f->path, &f->conf, false, &v);
    assert_refused_with(&v, "Vigil header that this vigilctl cannot read");
    assert_refused_with(&v, "checksum");
    judge(f->path, &f->conf, true, &v);
    assert_true(v.write);
}

/* ---- the rules, on made-up probes ---- */

static void base_probe(struct ctl_disk_probe *p, enum ctl_disk_kind kind, uint64_t size)
{
    memset(p, 0, sizeof(*p));
    p->fd = -1;
    p->kind = kind;
    p->size = size;
    p->blkid_rc = 1;
    p->header_rc = -ENODATA;
}

static void test_decide_block_devices(void **state)
{
    struct fixture *f = *state;
    struct ctl_disk_probe p;
    struct ctl_disk_verdict v;

    base_probe(&p, CTL_DISK_BLOCK, 8 * MIB);
    ctl_disk_decide(&p, "/dev/sdz1", &f->conf, false, &v);
    assert_true(v.write);
    assert_int_equal(v.n_refusals, 0);

    /* a whole disk with a partition table */
    snprintf(p.pttype, sizeof(p.pttype), "gpt");
    p.blkid_rc = 0;
    ctl_disk_decide(&p, "/dev/sdz", &f->conf, false, &v);
    assert_refused_with(&v, "PTTYPE=gpt");
    assert_refused_with(&v, "give one of its partitions");
    ctl_disk_decide(&p, "/dev/sdz", &f->conf, true, &v);
    assert_true(v.write);
    assert_warned_with(&v, "PTTYPE=gpt");

    /* an LVM physical volume */
    base_probe(&p, CTL_DISK_BLOCK, 8 * MIB);
    p.blkid_rc = 0;
    snprintf(p.type, sizeof(p.type), "LVM2_member");
    snprintf(p.usage, sizeof(p.usage), "raid");
    ctl_disk_decide(&p, "/dev/sdz1", &f->conf, false, &v);
    assert_refused_with(&v, "RAID or LVM member (blkid TYPE=LVM2_member)");

    /* held by the kernel: never, even with --force */
    base_probe(&p, CTL_DISK_BLOCK, 8 * MIB);
    p.busy = true;
    ctl_disk_decide(&p, "/dev/sdz1", &f->conf, true, &v);
    assert_refused_with(&v, "in use by the kernel");

    /* too small: a partition, not truncate */
    base_probe(&p, CTL_DISK_BLOCK, 256 * 1024);
    ctl_disk_decide(&p, "/dev/sdz1", &f->conf, true, &v);
    assert_refused_with(&v, "partition of at least 1 MiB");

    /* blkid cannot tell, or sees contradicting signatures */
    base_probe(&p, CTL_DISK_BLOCK, 8 * MIB);
    p.blkid_rc = -2;
    ctl_disk_decide(&p, "/dev/sdz1", &f->conf, false, &v);
    assert_refused_with(&v, "several signatures");
    p.blkid_rc = -1;
    ctl_disk_decide(&p, "/dev/sdz1", &f->conf, false, &v);
    assert_refused_with(&v, "cannot tell what /dev/sdz1 holds");
    ctl_disk_decide(&p, "/dev/sdz1", &f->conf, true, &v);
    assert_true(v.write);

    base_probe(&p, CTL_DISK_OTHER, 0);
    ctl_disk_decide(&p, "/dev/watchdog", &f->conf, true, &v);
    assert_refused_with(&v, "neither a block device nor a regular file");
}

/* Every reason is given at once, not one per attempt. */
static void test_decide_all_reasons(void **state)
{
    struct fixture *f = *state;
    struct ctl_disk_probe p;
    struct ctl_disk_verdict v;

    base_probe(&p, CTL_DISK_BLOCK, 4096);
    p.busy = true;
    p.blkid_rc = 0;
    snprintf(p.type, sizeof(p.type), "xfs");
    snprintf(p.usage, sizeof(p.usage), "filesystem");
    ctl_disk_decide(&p, "/dev/sdz1", &f->conf, false, &v);
    assert_false(v.write);
    assert_int_equal(v.n_refusals, 3);
}

/* ---- dump ---- */

static const uint64_t inc1 = UINT64_C(0x5f1c9e0a7b3d2e11);

/* An initialised file with two written slots and one request. Returns the
 * wall time the slots carry. */
static uint64_t make_busy_area(struct fixture *f)
{
    struct timespec ts;
    uint8_t block[DISK_BLOCK_SIZE];
    uint64_t wall;

    make_file(f->path, MIB, 0);
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_OK);
    clock_gettime(CLOCK_REALTIME, &ts);
    wall =
        (uint64_t)ts.tv_sec * VG_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000 - 2 * VG_USEC_PER_SEC;

    struct disk_slot s1 = {.node = 1,
                           .state = DISK_SLOT_RUNNING,
                           .incarnation = inc1,
                           .counter = 1234,
                           .write_time = 99,
                           .wall_time = wall,
                           .epoch = 7,
                           .groups = {.at = 97, .n = 2}};
    s1.groups.g[0] = (struct wire_group_report){WIRE_GROUP_RUNNING, 0};
    s1.groups.g[1] = (struct wire_group_report){WIRE_GROUP_STOPPED, 2};
    struct disk_slot s2 = {.node = 2,
                           .state = DISK_SLOT_STOOD_DOWN,
                           .incarnation = 0xbeef,
                           .counter = 56,
                           .write_time = 98,
                           .wall_time = wall,
                           .epoch = 6};
    struct disk_mailbox m = {.node = 2,
                             .from = 1,
                             .request = DISK_REQ_STAND_DOWN,
                             .sequence = 31,
                             .epoch = 7,
                             .incarnation = 0xbeef};
    disk_slot_encode(block, &s1);
    write_at(f->path, disk_slot_offset(1), block, sizeof(block));
    disk_slot_encode(block, &s2);
    write_at(f->path, disk_slot_offset(2), block, sizeof(block));
    disk_mailbox_encode(block, &m);
    write_at(f->path, disk_mailbox_offset(2), block, sizeof(block));
    return wall;
}

/* Run a dump into a string the caller frees; *code gets the exit code. */
static char *dump(struct fixture *f, const struct conf *c, bool json, int *code)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    assert_non_null(out);
    *code = ctl_disk_dump(f->path, c, json, TIMEOUT, out);
    assert_int_equal(fclose(out), 0);
    return buf;
}

static void assert_has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("'%s' not in:\n%s", want, text);
}

/* The line of a table that starts with `first` (its first cell). */
static const char *line_of(const char *text, const char *first)
{
    size_t n = strlen(first);

    for (const char *p = text; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, first, n) == 0 && p[n] == ' ')
            return p;
    }
    fail_msg("no line starting with '%s' in:\n%s", first, text);
    return NULL;
}

static bool line_has(const char *line, const char *want)
{
    const char *end = strchr(line, '\n');
    const char *hit = strstr(line, want);

    return hit && (!end || hit < end);
}

static void test_dump_text(void **state)
{
    struct fixture *f = *state;
    const char *l;
    char *out;
    int code;

    make_busy_area(f);
    out = dump(f, &f->conf, false, &code);
    assert_int_equal(code, CTL_EXIT_OK);
    assert_has(out, "cluster  \"web\"");
    assert_has(out, "64 slots");
    assert_has(out, "interval 200ms, timeout 1s");
    assert_has(out, "created  ");

    l = line_of(out, "1");
    assert_true(line_has(l, "alpha"));
    assert_true(line_has(l, "running"));
    assert_true(line_has(l, "5f1c9e0a7b3d2e11"));
    assert_true(line_has(l, "1234"));
    assert_true(line_has(l, " 2.")); /* age: written two seconds ago */
    assert_true(line_has(l, " 7"));
    l = line_of(out, "2");
    assert_true(line_has(l, "beta"));
    assert_true(line_has(l, "stood-down"));
    assert_true(line_has(l, "000000000000beef"));

    l = line_of(out, "MAILBOX");
    assert_true(line_has(l, "FROM"));
    assert_has(out, "1 (alpha)");
    assert_has(out, "stand-down");
    assert_has(out, "31");
    assert_null(strstr(out, "bad blocks"));
    /* the group reports: the configuration has no groups, so by position;
     * beta's slot carries none */
    assert_has(out, "group reports (each node's own, from its slot):\n"
                    "  1 alpha: #1 running, #2 stopped (2 failures)\n");
    assert_null(strstr(out, "2 beta:"));
    free(out);

    /* without a configuration: ids only */
    out = dump(f, NULL, false, &code);
    assert_int_equal(code, CTL_EXIT_OK);
    assert_null(strstr(out, "alpha"));
    assert_has(out, "5f1c9e0a7b3d2e11");
    assert_has(out, "  1: #1 running, #2 stopped (2 failures)\n");
    free(out);
}

/* Ages against a given clock: the one place dump reads the time is its
 * caller. */
static void test_dump_age(void **state)
{
    struct fixture *f = *state;
    struct ctl_disk_image img;
    char err[CTL_DISK_MSG_LEN], *buf = NULL;
    size_t len = 0;
    uint64_t wall = make_busy_area(f);
    FILE *out = open_memstream(&buf, &len);

    assert_int_equal(ctl_disk_read_image(f->path, &img, err, sizeof(err)), 0);
    assert_int_equal(ctl_disk_dump_text(&img, f->path, &f->conf, wall + 183 * VG_USEC_PER_SEC, out),
                     0);
    assert_int_equal(fclose(out), 0);
    assert_true(line_has(line_of(buf, "1"), "3m03s"));
    free(buf);
    ctl_disk_image_free(&img);
}

static void test_dump_json(void **state)
{
    struct fixture *f = *state;
    json_error_t jerr;
    json_t *j, *s, *m;
    char *out;
    int code;

    make_busy_area(f);
    out = dump(f, &f->conf, true, &code);
    assert_int_equal(code, CTL_EXIT_OK);
    j = json_loads(out, 0, &jerr);
    if (!j)
        fail_msg("not JSON (%s): %s", jerr.text, out);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "header"), "cluster")),
                        "web");
    assert_true(json_is_null(json_object_get(j, "header_error")));
    assert_int_equal(json_array_size(json_object_get(j, "slots")), 2);
    s = json_array_get(json_object_get(j, "slots"), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "node")), 1);
    assert_string_equal(json_string_value(json_object_get(s, "name")), "alpha");
    assert_string_equal(json_string_value(json_object_get(s, "state")), "running");
    assert_string_equal(json_string_value(json_object_get(s, "incarnation")), "5f1c9e0a7b3d2e11");
    assert_int_equal(json_integer_value(json_object_get(s, "counter")), 1234);
    assert_int_equal(json_integer_value(json_object_get(s, "epoch")), 7);
    assert_true(json_real_value(json_object_get(s, "age_s")) > 1.0);
    json_t *g = json_object_get(s, "groups");
    assert_int_equal(json_integer_value(json_object_get(g, "at_us")), 97);
    assert_int_equal(json_array_size(json_object_get(g, "list")), 2);
    json_t *g1 = json_array_get(json_object_get(g, "list"), 1);
    assert_true(json_is_null(json_object_get(g1, "group"))); /* no [group] in this file */
    assert_string_equal(json_string_value(json_object_get(g1, "state")), "stopped");
    assert_int_equal(json_integer_value(json_object_get(g1, "failures")), 2);
    assert_true(
        json_is_null(json_object_get(json_array_get(json_object_get(j, "slots"), 1), "groups")));
    assert_int_equal(json_array_size(json_object_get(j, "mailboxes")), 1);
    m = json_array_get(json_object_get(j, "mailboxes"), 0);
    assert_int_equal(json_integer_value(json_object_get(m, "node")), 2);
    assert_string_equal(json_string_value(json_object_get(m, "from_name")), "alpha");
    assert_string_equal(json_string_value(json_object_get(m, "request")), "stand-down");
    assert_int_equal(json_integer_value(json_object_get(m, "sequence")), 31);
    assert_int_equal(json_array_size(json_object_get(j, "bad_blocks")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "problems")), 0);
    json_decref(j);
    free(out);
}

/* A torn slot and a misplaced one are shown with the decoder's reason, and
 * make dump fail. */
static void test_dump_bad_blocks(void **state)
{
    struct fixture *f = *state;
    struct disk_slot s = {.node = 5, .state = DISK_SLOT_RUNNING, .counter = 1};
    uint8_t block[DISK_BLOCK_SIZE], byte = 0xff;
    char *out;
    int code;

    make_busy_area(f);
    write_at(f->path, disk_slot_offset(1) + 40, &byte, 1);
    disk_slot_encode(block, &s);
    write_at(f->path, disk_slot_offset(3), block, sizeof(block));
    out = dump(f, &f->conf, false, &code);
    assert_int_equal(code, CTL_EXIT_FAIL);
    assert_has(out, "bad blocks:");
    assert_has(out, "block 1 (offset 4096, slot of node 1): slot block checksum mismatch");
    assert_has(out, "block 5 (offset 20480, slot of node 3): holds the slot of node 5");
    assert_true(line_has(line_of(out, "2"), "stood-down")); /* the rest is still shown */
    free(out);
}

static void test_dump_no_header(void **state)
{
    struct fixture *f = *state;
    char *out;
    int code;

    make_file(f->path, MIB, 0);
    out = dump(f, NULL, false, &code);
    assert_int_equal(code, CTL_EXIT_FAIL);
    assert_has(out, "header block is empty (all zeroes)");
    assert_has(out, "vigilctl disk init");
    free(out);

    /* someone else's data: one problem, not one per block */
    make_file(f->path, MIB, 0x42);
    out = dump(f, NULL, false, &code);
    assert_int_equal(code, CTL_EXIT_FAIL);
    assert_has(out, "not a Vigil header block");
    assert_has(out, "128 other blocks hold no Vigil data either");
    free(out);

    /* shorter than one block */
    make_file(f->path, 100, 0);
    out = dump(f, NULL, false, &code);
    assert_int_equal(code, CTL_EXIT_FAIL);
    assert_has(out, "cannot read it");
    free(out);
}

/* ---- the deadline ---- */

static int return_42(void *arg)
{
    return 42;
}

struct blocker {
    int fds[2];
    atomic_bool finished;
};

/* Stands for an I/O that hangs: blocks until the test writes to the pipe. */
static int block_on_pipe(void *arg)
{
    struct blocker *b = arg;
    char c;

    if (read(b->fds[0], &c, 1) < 0)
        return -errno;
    atomic_store(&b->finished, true);
    return 0;
}

static void test_bounded(void **state)
{
    static struct blocker b; /* outlives the abandoned thread */
    struct timespec t0, t1;
    int result = 0;
    double waited;

    assert_int_equal(ctl_disk_bounded(return_42, NULL, TIMEOUT, &result), 0);
    assert_int_equal(result, 42);

    assert_int_equal(pipe(b.fds), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ctl_disk_bounded(block_on_pipe, &b, 200 * VG_USEC_PER_MSEC, &result),
                     -ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(waited >= 0.19 && waited < 2.0);

    /* let the abandoned thread end and free its job */
    assert_int_equal(write(b.fds[1], "x", 1), 1);
    for (int i = 0; i < 200 && !atomic_load(&b.finished); i++)
        usleep(10000);
    assert_true(atomic_load(&b.finished));
    usleep(20000);
    close(b.fds[0]);
    close(b.fds[1]);
}

/* ---- the command line ---- */

static int run(int argc, char **argv)
{
    struct ctl_ctx ctx = {.socket_path = CTL_DEFAULT_SOCKET};

    return ctl_cmd_disk.run(&ctx, argc, argv);
}

static void test_command_line(void **state)
{
    struct fixture *f = *state;
    char *no_sub[] = {"disk"};
    char *bad_sub[] = {"disk", "format", f->path};
    char *no_dev[] = {"disk", "dump"};
    char *no_conf[] = {"disk", "init", f->path};
    char *bad_timeout[] = {"disk", "dump", f->path, "--timeout", "5"};
    char *json_init[] = {"disk", "init", f->path, "-c", "x.conf", "--json"};
    char *force_dump[] = {"disk", "dump", f->path, "--force"};
    char *two_dev[] = {"disk", "dump", f->path, f->path};
    char *missing_conf[] = {"disk", "dump", f->path, "--config=/nonexistent/vigil.conf"};
    char *ok[] = {"disk", "dump", f->path, "--timeout=2s"};
    int saved, code;

    assert_int_equal(run(1, no_sub), CTL_EXIT_USAGE);
    assert_int_equal(run(3, bad_sub), CTL_EXIT_USAGE);
    assert_int_equal(run(2, no_dev), CTL_EXIT_USAGE);
    assert_int_equal(run(3, no_conf), CTL_EXIT_USAGE);
    assert_int_equal(run(5, bad_timeout), CTL_EXIT_USAGE);
    assert_int_equal(run(6, json_init), CTL_EXIT_USAGE);
    assert_int_equal(run(4, force_dump), CTL_EXIT_USAGE);
    assert_int_equal(run(4, two_dev), CTL_EXIT_USAGE);
    assert_int_equal(run(4, missing_conf), CTL_EXIT_FAIL);

    /* the dump goes to stdout: to /dev/null for the time of the run */
    make_busy_area(f);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(f->null), STDOUT_FILENO) >= 0);
    code = run(4, ok);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(code, CTL_EXIT_OK);
}

/* An admin's request into a node's mailbox, and its clear; only on this
 * cluster's area and for a configured node. */
static void test_message(void **state)
{
    struct fixture *f = *state;
    uint8_t block[DISK_BLOCK_SIZE];
    struct disk_mailbox m;
    char err[256];
    struct conf other;

    make_file(f->path, MIB, 0);
    assert_int_equal(ctl_disk_init(f->path, &f->conf, false, TIMEOUT, f->null), CTL_EXIT_OK);
    assert_int_equal(ctl_disk_message(f->path, &f->conf, "beta", "test", TIMEOUT, f->null),
                     CTL_EXIT_OK);
    read_at(f->path, disk_mailbox_offset(2), block, sizeof(block));
    assert_int_equal(disk_mailbox_decode(block, &m, err, sizeof(err)), 0);
    assert_int_equal(m.node, 2);
    assert_int_equal(m.from, 0);
    assert_int_equal(m.request, DISK_REQ_TEST);
    assert_true(m.sequence > 0);
    read_at(f->path, disk_mailbox_offset(1), block, sizeof(block));
    assert_true(all_bytes(block, sizeof(block), 0)); /* alpha's untouched */

    assert_int_equal(ctl_disk_message(f->path, &f->conf, "beta", "clear", TIMEOUT, f->null),
                     CTL_EXIT_OK);
    read_at(f->path, disk_mailbox_offset(2), block, sizeof(block));
    assert_true(all_bytes(block, sizeof(block), 0));

    assert_int_equal(ctl_disk_message(f->path, &f->conf, "gamma", "test", TIMEOUT, f->null),
                     CTL_EXIT_FAIL);
    assert_int_equal(ctl_disk_message(f->path, &f->conf, "beta", "reset", TIMEOUT, f->null),
                     CTL_EXIT_USAGE);
    make_conf(&other, "db");
    assert_int_equal(ctl_disk_message(f->path, &other, "beta", "test", TIMEOUT, f->null),
                     CTL_EXIT_FAIL);
    read_at(f->path, disk_mailbox_offset(2), block, sizeof(block));
    assert_true(all_bytes(block, sizeof(block), 0)); /* another cluster's request not written */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_init_fresh),
        T(test_init_link_timing),
        T(test_init_too_small),
        T(test_init_missing),
        T(test_init_ext4_minimal),
        T(test_init_ext4_mkfs),
        T(test_init_partition_table),
        T(test_init_other_cluster),
        T(test_init_same_cluster),
        T(test_init_unreadable_header),
        T(test_decide_block_devices),
        T(test_decide_all_reasons),
        T(test_dump_text),
        T(test_dump_age),
        T(test_dump_json),
        T(test_dump_bad_blocks),
        T(test_dump_no_header),
        T(test_bounded),
        T(test_command_line),
        T(test_message),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
