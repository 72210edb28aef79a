/* Writes the seed corpus of every fuzz target (fuzz/corpus/<target>/) with
 * the real encoders, so that the seeds are what Vigil itself produces:
 * heartbeats from wire_encode_heartbeat, disk blocks from disk_*_encode, the
 * witness's answers from response_alive, the example configuration cut out of
 * docs/configuration.md. Deterministic: running it again rewrites the same
 * bytes. `make fuzz-seeds` runs it.
 *
 * usage: gen_seeds CORPUS-DIR DOCS-CONFIGURATION-MD */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <sys/stat.h>

#include "../src/proto/proto.h"
#include "../src/witness/witness.h"
#include "fuzz.h"

static const char *corpus;

/* corpus/target/name := mode byte (unless < 0) + bytes */
static void seed(const char *target, const char *name, int mode, const void *bytes, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", corpus, target);
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", corpus, target, name);
    f = fopen(path, "wb");
    if (!f || (mode >= 0 && fputc(mode, f) == EOF) || fwrite(bytes, 1, len, f) != len ||
        fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void seed_str(const char *target, const char *name, int mode, const char *s)
{
    seed(target, name, mode, s, strlen(s));
}

/* ---- fuzz_conf ---- */

/* The first ```ini block of docs/configuration.md: the documented example. */
static char *docs_example(const char *md_path)
{
    static const char open_tag[] = "```ini\n";
    char *text = NULL, *start, *end, *out;
    size_t cap = 0;
    FILE *f = fopen(md_path, "r");

    if (!f || getdelim(&text, &cap, '\0', f) < 0) {
        perror(md_path);
        exit(1);
    }
    fclose(f);
    start = strstr(text, open_tag);
    end = start ? strstr(start + sizeof(open_tag) - 1, "```") : NULL;
    if (!end) {
        fprintf(stderr, "%s: no ```ini example block\n", md_path);
        exit(1);
    }
    start += sizeof(open_tag) - 1;
    out = strndup(start, (size_t)(end - start));
    free(text);
    return out;
}

static const char minimal_conf[] = "[cluster]\n"
                                   "name = web\n"
                                   "\n"
                                   "[link \"lan1\"]\n"
                                   "type = udp\n"
                                   "priority = 1\n"
                                   "\n"
                                   "[node \"alpha\"]\n"
                                   "id = 1\n"
                                   "lan1 = 192.0.2.1\n";

/* Every kind of key, non-default values, IPv6 in brackets, keys after the
 * links that define them, comments of both kinds. */
static const char full_conf[] = "\xef\xbb\xbf; vigil.conf with every key\r\n"
                                "[node \"n2\"]\r\n"
                                "id = 2\r\n"
                                "b = [2001:db8::2]\r\n"
                                "a = 198.51.100.2\r\n"
                                "[cluster]\r\n"
                                "name = Web Cluster #2 ; café\r\n"
                                "key-file = /etc/vigil/authkey\r\n"
                                "interval = 150ms\r\n"
                                "timeout = 1.5s\r\n"
                                "initial-timeout = 2m\r\n"
                                "realtime = off\r\n"
                                "[link \"b\"]\r\n"
                                "type = udp\r\n"
                                "priority = 1\r\n"
                                "port = 6000\r\n"
                                "family = ipv6\r\n"
                                "[link \"a\"]\r\n"
                                "priority = 2\r\n"
                                "type = udp\r\n"
                                "[link \"d\"]\r\n"
                                "type = disk\r\n"
                                "device = /dev/disk/by-partlabel/vigil-hb\r\n"
                                "interval = 500ms\r\n"
                                "timeout = 5s\r\n"
                                "[link \"w\"]\r\n"
                                "type = witness\r\n"
                                "url = https://[2001:db8::7]:8443/vigil/%41\r\n"
                                "token-file = /etc/vigil/witness.token\r\n"
                                "proxy = http://192.0.2.50:3128\r\n"
                                "ca-file = /etc/vigil/witness-ca.pem\r\n"
                                "timeout = 10s\r\n"
                                "[node \"n1\"]\r\n"
                                "id = 1\r\n"
                                "a = 198.51.100.1\r\n"
                                "b = 2001:db8::1\r\n"
                                "[np \"gw\"]\r\n"
                                "type = ping\r\n"
                                "targets = 198.51.100.254, 2001:db8::fe ,192.0.2.254\r\n"
                                "count = 5\r\n"
                                "interval = 500ms\r\n"
                                "[np \"web\"]\r\n"
                                "url = http://check.example/health\r\n"
                                "timeout = 5s\r\n"
                                "type = http\r\n";

/* Groups with a resource of every type, every key, the type last, groups
 * and resources interleaved. */
static const char groups_conf[] = "[cluster]\n"
                                  "name = web\n"
                                  "[link \"lan1\"]\n"
                                  "type = udp\n"
                                  "priority = 1\n"
                                  "[node \"alpha\"]\n"
                                  "id = 1\n"
                                  "lan1 = 192.0.2.1\n"
                                  "[node \"beta\"]\n"
                                  "id = 2\n"
                                  "lan1 = 192.0.2.2\n"
                                  "[resource \"web/vip\"]\n"
                                  "address = 192.0.2.100/24\n"
                                  "interface = eth0\n"
                                  "announce-count = 3\n"
                                  "monitor-interval = 2s\n"
                                  "monitor-timeout = 5s\n"
                                  "start-timeout = 1m\n"
                                  "stop-timeout = 1.5s\n"
                                  "monitor-retries = 1\n"
                                  "type = ip\n"
                                  "[group \"web\"]\n"
                                  "nodes = beta, alpha   # preferred first\n"
                                  "failback = yes\n"
                                  "migration-threshold = 5\n"
                                  "failure-timeout = never\n"
                                  "monitor-interval = 0\n"
                                  "[resource \"web/vip6\"]\n"
                                  "type = ip\n"
                                  "address = 2001:db8::100/64\n"
                                  "[resource \"web/app\"]\n"
                                  "type = exec\n"
                                  "start = /usr/local/sbin/app start && echo 'ok'\n"
                                  "stop = /usr/local/sbin/app stop\n"
                                  "monitor = /usr/local/sbin/app status\n"
                                  "[group \"db\"]\n"
                                  "nodes = alpha\n"
                                  "failure-timeout = 1h\n"
                                  "[resource \"db/pg\"]\n"
                                  "type = ocf\n"
                                  "agent = ocf:heartbeat:pgsql\n"
                                  "pgdata = /var/lib/postgresql\n"
                                  "pgport = 5432\n"
                                  "[resource \"db/unit\"]\n"
                                  "type = systemd\n"
                                  "unit = app@db-1.service\n"
                                  "[resource \"web/cmd\"]\n"
                                  "type = exec\n"
                                  "start = true\n"
                                  "stop = true\n"
                                  "monitor-interval = 0\n";

/* One mistake of each kind the parser reports. */
static const char errors_conf[] = "key = outside\n"
                                  "[cluster]\n"
                                  "name =\n"
                                  "name = again\n"
                                  "interval = 200\n"
                                  "timeout: 1s\n"
                                  "initial-timeout = 5d\n"
                                  "realtime = maybe\n"
                                  "bogus = 1\n"
                                  "[cluster]\n"
                                  "[group \"web\"]\n"
                                  "[link \"id\"]\n"
                                  "[link \"x\" extra\n"
                                  "[node \"bad name\"]\n"
                                  "[link \"l\"]\n"
                                  "type = carrier-pigeon\n"
                                  "priority = 9\n"
                                  "port = 0\n"
                                  "device = relative/path\n"
                                  "[link \"w\"]\n"
                                  "type = witness\n"
                                  "url = ftp://witness\n"
                                  "proxy = http://user:pw@proxy:3128\n"
                                  "ca-file = /ca.pem\n"
                                  "[node \"n\"]\n"
                                  "id = 65\n"
                                  "l = 224.0.0.1\n"
                                  "w = 192.0.2.1\n"
                                  "zz = 192.0.2.1%eth0\n"
                                  "just some words\n"
                                  "[group \"g\"]\n"
                                  "nodes = n, n, x\n"
                                  "failure-timeout = 0\n"
                                  "[group \"empty\"]\n"
                                  "nodes = n\n"
                                  "[resource \"nogroup\"]\n"
                                  "[resource \"g/ip\"]\n"
                                  "type = ip\n"
                                  "address = 192.0.2.1\n"
                                  "start = x\n"
                                  "[resource \"g/ocf\"]\n"
                                  "type = ocf\n"
                                  "agent = heartbeat:Dummy\n"
                                  "CRM_meta_timeout = 1\n"
                                  "monitor-intervall = 1s\n"
                                  "[resource \"g/exec\"]\n"
                                  "type = exec\n"
                                  "monitor-retries = 3\n"
                                  "[resource \"g/unit\"]\n"
                                  "type = systemd\n"
                                  "unit = app@.slice\n";

static void conf_seeds(const char *md)
{
    char *ex = docs_example(md);

    seed_str("fuzz_conf", "docs-example.conf", -1, ex);
    seed_str("fuzz_conf", "minimal.conf", -1, minimal_conf);
    seed_str("fuzz_conf", "every-key-crlf-bom.conf", -1, full_conf);
    seed_str("fuzz_conf", "errors.conf", -1, errors_conf);
    seed_str("fuzz_conf", "groups.conf", -1, groups_conf);
    free(ex);
}

/* ---- fuzz_wire ---- */

static void wire_seeds(void)
{
    struct wire_header h = {
        .type = WIRE_HEARTBEAT,
        .link = 1,
        .cluster_id = wire_cluster_id(FUZZ_CLUSTER),
        .sender = 2,
        .dest = 1,
        .incarnation = 0x0123456789abcdefULL,
        .seq = 42,
        .send_time = 987654321,
    };
    struct wire_heartbeat hb = {.epoch = 7, .echo_time = 987650000, .echo_delay = 120, .n_seen = 2};
    uint8_t buf[WIRE_MAX_DATAGRAM], fields[96];
    int n;

    hb.seen[0].node = 1;
    hb.seen[0].links = 0x3;
    hb.seen[1].node = 3;
    hb.seen[1].links = 0x1;
    n = wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, fuzz_key);
    seed("fuzz_wire", "heartbeat-2-seen", 0x00, buf, (size_t)n);
    seed("fuzz_wire", "heartbeat-2-seen-fix-mac", 0x01, buf, (size_t)n);

    hb.n_seen = 0;
    h.link = 0;
    n = wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, fuzz_key);
    seed("fuzz_wire", "heartbeat-0-seen", 0x00, buf, (size_t)n);

    hb.n_seen = VIGIL_MAX_NODES;
    for (int i = 0; i < VIGIL_MAX_NODES; i++) {
        hb.seen[i].node = (uint16_t)(i + 1);
        hb.seen[i].links = (uint8_t)(1u << (i % VIGIL_MAX_LINKS));
    }
    h.link = VIGIL_MAX_LINKS - 1;
    n = wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, fuzz_key);
    seed("fuzz_wire", "heartbeat-64-seen", 0x00, buf, (size_t)n);

    /* group reports: three groups; then the largest heartbeat, every group */
    hb.n_seen = 2;
    hb.assign_seq = 12;
    hb.admin_seq = 0x305;
    hb.n_groups = 3;
    hb.groups[0] = (struct wire_group_report){WIRE_GROUP_RUNNING, 0};
    hb.groups[1] = (struct wire_group_report){WIRE_GROUP_STOPPED, 3};
    hb.groups[2] = (struct wire_group_report){WIRE_GROUP_STOP_FAILED, 255};
    n = wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, fuzz_key);
    seed("fuzz_wire", "heartbeat-3-groups", 0x00, buf, (size_t)n);
    seed("fuzz_wire", "heartbeat-3-groups-fix-mac", 0x01, buf, (size_t)n);
    hb.n_seen = VIGIL_MAX_NODES;
    hb.n_groups = VIGIL_MAX_GROUPS;
    for (int i = 0; i < VIGIL_MAX_GROUPS; i++)
        hb.groups[i] = (struct wire_group_report){(uint8_t)(i % 6), (uint8_t)i};
    n = wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, fuzz_key);
    seed("fuzz_wire", "heartbeat-64-seen-64-groups", 0x00, buf, (size_t)n);

    /* ASSIGN: group 0 on node 0, group 1 stopped by the admin, group 2 moved to node 1 */
    struct wire_assign a = {
        .epoch = 0x301, .seq = 5, .admin_seq = 0x201, .standby = 0x4, .fenced = 0x2, .n_groups = 3};
    a.groups[0] = (struct wire_assignment){0, WIRE_NONE, 0};
    a.groups[1] = (struct wire_assignment){WIRE_NONE, WIRE_NONE, WIRE_ASSIGN_ADMIN_STOPPED};
    a.groups[2] = (struct wire_assignment){1, 1, 0};
    h.link = 0;
    n = wire_encode_assign(buf, sizeof(buf), &h, &a, fuzz_key);
    seed("fuzz_wire", "assign-3-groups", 0x00, buf, (size_t)n);
    seed("fuzz_wire", "assign-3-groups-fix-mac", 0x01, buf, (size_t)n);

    struct wire_request rq = {
        .id = 0x1122334455667788ULL, .kind = WIRE_REQ_MOVE, .group = 2, .node = 1};
    n = wire_encode_request(buf, sizeof(buf), &h, &rq, fuzz_key);
    seed("fuzz_wire", "request-move", 0x00, buf, (size_t)n);
    seed("fuzz_wire", "request-move-fix-mac", 0x01, buf, (size_t)n);
    rq = (struct wire_request){.id = 7, .kind = WIRE_REQ_STANDBY, .group = WIRE_NONE, .node = 0};
    n = wire_encode_request(buf, sizeof(buf), &h, &rq, fuzz_key);
    seed("fuzz_wire", "request-standby", 0x00, buf, (size_t)n);

    struct wire_request_ack ack = {.id = 0x1122334455667788ULL,
                                   .result = WIRE_ACK_REFUSED,
                                   .reason = WIRE_REFUSED_NOT_IN_POLICY,
                                   .admin_seq = 0x201};
    n = wire_encode_request_ack(buf, sizeof(buf), &h, &ack, fuzz_key);
    seed("fuzz_wire", "request-ack-refused", 0x00, buf, (size_t)n);
    seed("fuzz_wire", "request-ack-refused-fix-mac", 0x01, buf, (size_t)n);

    /* a view commit: epoch 8 with nodes 1 and 2, parent epoch 7 */
    struct wire_view v = {.kind = 4, .epoch = 8, .members = 0x3, .aux = 7};
    h.link = 0;
    n = wire_encode_view(buf, sizeof(buf), &h, &v, fuzz_key);
    seed("fuzz_wire", "view-commit", 0x00, buf, (size_t)n);

    /* STRUCT: a heartbeat on link 1 from 2 to 1, epoch 5, members 1-3, one entry */
    memset(fields, 0, sizeof(fields));
    fields[0] = 0;    /* heartbeat */
    fields[1] = 1;    /* link */
    fields[3] = 2;    /* sender */
    fields[5] = 1;    /* dest */
    fields[13] = 1;   /* incarnation */
    fields[21] = 5;   /* seq */
    fields[37] = 5;   /* epoch */
    fields[45] = 0x7; /* members */
    fields[58] = 1;   /* n_seen */
    fields[60] = 3;   /* node 3 */
    fields[61] = 0x1; /* on link 0 */
    seed("fuzz_wire", "struct-heartbeat", 0x04, fields, 62);
    /* STRUCT: a view propose */
    memset(fields, 0, sizeof(fields));
    fields[0] = 1; /* view */
    fields[3] = 1;
    fields[5] = 2;
    fields[30] = 1; /* propose */
    fields[38] = 9; /* epoch */
    fields[46] = 3; /* members */
    seed("fuzz_wire", "struct-view", 0x04, fields, 55);
    /* STRUCT: an ASSIGN of epoch 9, sequence 1: group 0 on node 1, group 1 nowhere */
    memset(fields, 0, sizeof(fields));
    fields[0] = 2; /* ASSIGN */
    fields[3] = 1;
    fields[5] = 2;
    fields[37] = 9;    /* epoch */
    fields[45] = 1;    /* seq */
    fields[62] = 2;    /* groups */
    fields[63] = 1;    /* group 0: node 1 */
    fields[64] = 0xff; /*   no move */
    fields[66] = 0xff; /* group 1: nowhere */
    fields[67] = 0xff; /*   no move */
    fields[68] = 1;    /*   stopped by the admin */
    seed("fuzz_wire", "struct-assign", 0x04, fields, 69);
    /* STRUCT: a REQUEST to stop group 3; its answer: done */
    memset(fields, 0, sizeof(fields));
    fields[0] = 3; /* REQUEST */
    fields[3] = 2;
    fields[5] = 1;
    fields[37] = 0x2a; /* id */
    fields[38] = WIRE_REQ_STOP;
    fields[39] = 3;    /* group */
    fields[40] = 0xff; /* no node */
    seed("fuzz_wire", "struct-request", 0x04, fields, 41);
    fields[0] = 4;  /* REQUEST_ACK */
    fields[38] = 0; /* ok */
    fields[39] = 0;
    fields[40] = 0;
    fields[47] = 5; /* admin sequence */
    seed("fuzz_wire", "struct-request-ack", 0x04, fields, 48);
}

/* ---- fuzz_disk_block ---- */

static void disk_seeds(void)
{
    uint8_t block[DISK_BLOCK_SIZE];
    struct disk_header h = {
        .block_size = DISK_BLOCK_SIZE,
        .slots = 3,
        .cluster_id = wire_cluster_id(FUZZ_CLUSTER),
        .interval = 200000,
        .timeout = 1000000,
        .created = 1700000000,
    };
    struct disk_slot s = {
        .node = 2,
        .state = DISK_SLOT_RUNNING,
        .incarnation = 0x0123456789abcdefULL,
        .counter = 1234,
        .write_time = 987654321,
        .wall_time = 1700000000123456ULL,
        .epoch = 7,
        .groups = {.at = 987650000, .n = 3},
    };
    struct disk_mailbox m = {
        .node = 2,
        .from = 1,
        .request = DISK_REQ_STAND_DOWN,
        .sequence = 3,
        .epoch = 7,
        .incarnation = 0x0123456789abcdefULL,
    };
    uint8_t fields[32] = {0};

    snprintf(h.cluster_name, sizeof(h.cluster_name), "%s", FUZZ_CLUSTER);
    disk_header_encode(block, &h);
    seed("fuzz_disk_block", "header", 0x00, block, sizeof(block));
    seed("fuzz_disk_block", "header-all-decoders", 0x03, block, sizeof(block));
    s.groups.g[0] = (struct wire_group_report){WIRE_GROUP_RUNNING, 0};
    s.groups.g[1] = (struct wire_group_report){WIRE_GROUP_STOPPED, 2};
    s.groups.g[2] = (struct wire_group_report){WIRE_GROUP_STOP_FAILED, 1};
    disk_slot_encode(block, &s);
    seed("fuzz_disk_block", "slot", 0x01, block, sizeof(block));
    s.groups.n = 0;
    disk_slot_encode(block, &s);
    seed("fuzz_disk_block", "slot-no-groups", 0x01, block, sizeof(block));
    disk_mailbox_encode(block, &m);
    seed("fuzz_disk_block", "mailbox", 0x02, block, sizeof(block));
    seed("fuzz_disk_block", "mailbox-sealed", 0x06, block, sizeof(block));

    /* STRUCT header: block size 4096, 3 slots */
    fields[2] = 0x10;
    fields[7] = 3;
    seed("fuzz_disk_block", "struct-header", 0x08, fields, sizeof(fields));
    memset(fields, 0, sizeof(fields));
    fields[1] = 2; /* node 2 */
    fields[2] = DISK_SLOT_STOOD_DOWN;
    seed("fuzz_disk_block", "struct-slot", 0x09, fields, sizeof(fields));
    {
        uint8_t sf[64] = {0};
        sf[1] = 2;                 /* node 2 */
        sf[2] = DISK_SLOT_RUNNING; /* then incarnation .. epoch, groups.at: zero */
        sf[51] = 2;                /* two group reports */
        sf[52] = WIRE_GROUP_RUNNING;
        sf[54] = WIRE_GROUP_STOPPED;
        sf[55] = 1;
        seed("fuzz_disk_block", "struct-slot-groups", 0x09, sf, sizeof(sf));
    }
    memset(fields, 0, sizeof(fields));
    fields[1] = 2;
    fields[3] = 1;
    fields[4] = DISK_REQ_RESET;
    seed("fuzz_disk_block", "struct-mailbox", 0x0a, fields, sizeof(fields));
}

/* ---- fuzz_witness_request, fuzz_witness_answer ---- */

/* An arbitration body as vigild builds it (malloc'd). */
static char *arbitrate_body(const char *node, uint64_t epoch, uint64_t parent, const char *m1,
                            const char *m2)
{
    const char *members[] = {m1, m2};
    char *body = witness_arbitrate_body(FUZZ_CLUSTER, node, epoch, parent, members, m2 ? 2 : 1);

    if (!body)
        abort();
    return body;
}

/* The witness's answer to one arbitration body, as it writes it (malloc'd). */
static char *arbitrate_answer(struct registry *reg, const char *body)
{
    struct witness_arbitrate req;
    struct witness_verdict verdict;
    struct witness_cluster *c;
    char err[256];
    char *answer;

    if (registry_cluster(reg, FUZZ_CLUSTER, 0, "192.0.2.9", &c) < 0 ||
        request_parse_arbitrate(body, strlen(body), &req, err, sizeof(err)) < 0) {
        fprintf(stderr, "gen_seeds: the witness refuses %s: %s\n", body, err);
        abort();
    }
    registry_arbitrate(reg, c, &req, &verdict);
    answer = response_arbitrate(c, req.epoch, &verdict);
    if (!answer)
        abort();
    return answer;
}

static void witness_seeds(void)
{
    struct group_reports groups = {.at = 123456789, .n = 2};
    groups.g[0] = (struct wire_group_report){WIRE_GROUP_RUNNING, 0};
    groups.g[1] = (struct wire_group_report){WIRE_GROUP_FAILED, 3};
    char *alive = witness_alive_body(FUZZ_CLUSTER, "alpha", 0x0123456789abcdefULL, 3000, "running",
                                     "{\"beta\":[\"lan1\",\"lan2\"],\"gamma\":[]}", &groups);
    char *alive_b =
        witness_alive_body(FUZZ_CLUSTER, "beta", 0xfedcba9876543210ULL, 3000, "", NULL, NULL);
    /* the split of a view 2 {alpha, beta, gamma}: {alpha, gamma} installs
     * view 5, {beta} view 7 (both with parent 2); then {alpha} view 9 on top
     * of view 5 */
    char *won = arbitrate_body("alpha", 5, 2, "alpha", "gamma");
    char *lost = arbitrate_body("beta", 5, 2, "beta", NULL);
    char *member = arbitrate_body("gamma", 5, 2, "gamma", NULL);
    char *other_half = arbitrate_body("beta", 7, 2, "beta", NULL);
    char *descendant = arbitrate_body("alpha", 9, 5, "alpha", NULL);
    char *older = arbitrate_body("beta", 3, 2, "beta", NULL);
    char script[4096];
    size_t n = 0;

    seed_str("fuzz_witness_request", "alive", 0, alive);
    seed_str("fuzz_witness_request", "arbitrate", 1, won);

    /* a split: both sides report, alpha wins view 5, beta is refused it, gamma
     * (of alpha's side) is granted it; beta's own view 7 is refused (its
     * parent is older than 5), alpha's view 9 granted (it descends from 5), an
     * older epoch refused, a parent not older than its epoch and a body
     * without a parent are 400; then the health check, a wrong token, a wrong
     * method, an hour of silence */
#define REC(ctl, body)                                                                             \
    do {                                                                                           \
        script[n++] = (char)(ctl);                                                                 \
        memcpy(script + n, body, strlen(body));                                                    \
        n += strlen(body);                                                                         \
        script[n++] = '\0';                                                                        \
    } while (0)
    REC(0x01, alive);      /* POST /v1/alive, token A */
    REC(0x01, alive_b);    /* POST /v1/alive, token A */
    REC(0x02, won);        /* POST /v1/arbitrate: granted */
    REC(0x02, lost);       /* refused: not a member of view 5 */
    REC(0x02, member);     /* granted: a member of view 5 */
    REC(0x02, other_half); /* refused: parent 2 is older than 5 */
    REC(0x02, descendant); /* granted: parent 5 */
    REC(0x02, older);      /* refused: older than 9 */
    REC(0x02, "{\"cluster\":\"web\",\"node\":\"beta\",\"epoch\":11,\"parent\":11,"
              "\"members\":[\"beta\"]}");
    REC(0x02, "{\"cluster\":\"web\",\"node\":\"beta\",\"epoch\":11,\"members\":[\"beta\"]}");
    REC(0x04, "");      /* GET /healthz */
    REC(0x31, alive);   /* wrong token */
    REC(0x11, alive_b); /* token B: 403, not its cluster */
    REC(0x05, alive);   /* GET /v1/alive */
    REC(0x81, alive);   /* an hour later */
    REC(0x41, alive);   /* too big */
    REC(0x03, "");      /* 404 */
#undef REC
    seed("fuzz_witness_request", "script-split", 2, script, n);

    /* the answer to alpha, as the witness itself writes it */
    struct registry reg;
    struct witness_cluster *c;
    struct witness_alive a;
    char err[256];
    registry_init(&reg, NULL, NULL);
    if (registry_cluster(&reg, FUZZ_CLUSTER, 0, "192.0.2.9", &c) < 0)
        abort();
    if (request_parse_alive(alive, strlen(alive), &a, err, sizeof(err)) < 0 ||
        registry_alive(&reg, c, &a, "192.0.2.1", 1000000) < 0)
        abort();
    request_alive_free(&a);
    if (request_parse_alive(alive_b, strlen(alive_b), &a, err, sizeof(err)) < 0 ||
        registry_alive(&reg, c, &a, "192.0.2.2", 1500000) < 0)
        abort();
    request_alive_free(&a);
    char *answer = response_alive(c, 2250000);
    seed_str("fuzz_witness_answer", "alive-two-nodes", 0, answer);
    free(answer);
    seed_str("fuzz_witness_answer", "alive-no-nodes", 0, "{\"cluster\":\"web\",\"nodes\":{}}");
    char *error = response_error("missing or wrong token");
    seed_str("fuzz_witness_answer", "alive-error", 0, error);
    free(error);

    /* the witness's answers about epoch 5: granted, refused to a non-member
     * (with the winner), refused for an older parent (without) */
    answer = arbitrate_answer(&reg, won);
    seed_str("fuzz_witness_answer", "arbitrate-granted", 1, answer);
    free(answer);
    answer = arbitrate_answer(&reg, lost);
    seed_str("fuzz_witness_answer", "arbitrate-refused", 1, answer);
    free(answer);
    registry_free(&reg);
    registry_init(&reg, NULL, NULL);
    char *first = arbitrate_body("alpha", 4, 0, "alpha", NULL);
    char *half = arbitrate_body("beta", 5, 3, "beta", NULL);
    free(arbitrate_answer(&reg, first));
    answer = arbitrate_answer(&reg, half);
    seed_str("fuzz_witness_answer", "arbitrate-refused-parent", 1, answer);
    free(answer);
    registry_free(&reg);

    free(first);
    free(half);
    free(won);
    free(lost);
    free(member);
    free(other_half);
    free(descendant);
    free(older);
    free(alive);
    free(alive_b);
}

/* ---- the small ones ---- */

static void small_seeds(void)
{
    char hex[2 * VIGIL_KEY_BYTES + 2];

    sodium_bin2hex(hex, sizeof(hex), fuzz_key, sizeof(fuzz_key));
    strcat(hex, "\n");
    seed_str("fuzz_keyfile", "key", 0, hex);
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    seed_str("fuzz_keyfile", "key-upper", 0, hex);
    seed_str("fuzz_keyfile", "token", 1, "s3cr3t-witness-token\n");
    seed_str("fuzz_keyfile", "token-blanks", 1, "  \t9f86d081884c7d65 \r\n");

    static const char *const durations[] = {"200ms", "1.5s",   "2m",    "500us",
                                            "1h",    "200 ms", "0.25ms"};
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "text-%zu", i);
        seed_str("fuzz_duration", name, 0, durations[i]);
    }
    const uint8_t usec[8] = {0, 0, 0, 0, 0, 0x16, 0xe3, 0x60}; /* 1500000 */
    seed("fuzz_duration", "number", 1, usec, sizeof(usec));

    seed_str("fuzz_ip_parse", "address-v4", 0, "192.0.2.100/24");
    seed_str("fuzz_ip_parse", "address-v6", 0, "2001:db8::100/64");
    seed_str("fuzz_ip_parse", "interface", 1, "eth0");
    seed_str("fuzz_ip_parse", "announce-count", 2, "5");
    seed_str("fuzz_ip_parse", "listen-v4", 3, "127.0.0.1:9872");
    seed_str("fuzz_ip_parse", "listen-v6", 3, "[::1]:9872");
    /* vip 192.0.2.100/24; eth0 192.0.2.1/24, eth1 198.51.100.1/24 */
    uint8_t m[1 + 16 + 1 + 2 * 19] = {0};
    size_t k = 0;
    m[k++] = 0; /* IPv4 */
    m[k++] = 192, m[k++] = 0, m[k++] = 2, m[k++] = 100, k += 12;
    m[k++] = 24;
    m[k++] = 0, m[k++] = 0, m[k++] = 192, m[k++] = 0, m[k++] = 2, m[k++] = 1, k += 12;
    m[k++] = 24;
    m[k++] = 1, m[k++] = 0, m[k++] = 198, m[k++] = 51, m[k++] = 100, m[k++] = 1, k += 12;
    m[k++] = 24;
    seed("fuzz_ip_parse", "match-interface", 4, m, k);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CORPUS-DIR docs/configuration.md\n", argv[0]);
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    json_object_seed(1);
    corpus = argv[1];
    if (mkdir(corpus, 0755) < 0 && errno != EEXIST) {
        perror(corpus);
        return 1;
    }
    conf_seeds(argv[2]);
    wire_seeds();
    disk_seeds();
    witness_seeds();
    small_seeds();
    return 0;
}
