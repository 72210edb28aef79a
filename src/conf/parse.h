/* Internal to src/conf: the state of one conf_parse_text() call, shared by
 * parse.c (lines and section headers), keys.c (key = value pairs),
 * validate.c (checks that need the whole file) and value.c/address.c/url.c
 * (value syntax). Nothing outside src/conf includes this. */
#ifndef VIGIL_CONF_PARSE_H
#define VIGIL_CONF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"

#define CONF_DURATION_EXPECT "expected a duration with a unit, e.g. 200ms or 1s"
#define CONF_NAME_EXPECT "expected 1 to 63 characters of A-Z a-z 0-9 _ . -"

/* A node section may hold 'id' plus one address per link; keys beyond this
 * many cannot all be link names. */
#define CONF_NODE_KEYS_MAX (2 * VIGIL_MAX_LINKS)
/* Longest address value kept ("[" IPv6 "]" is 47 characters at most). */
#define CONF_ADDR_TEXT_MAX 64
/* Unknown keys of a link section, kept until its type is known. */
#define CONF_LINK_UNKNOWN_MAX 8
/* Room for "[node \"NAME\"]" and the like. */
#define CONF_LABEL_MAX (VIGIL_NAME_MAX + 16)

enum conf_sec { SEC_NONE, SEC_CLUSTER, SEC_NODE, SEC_LINK, SEC_NP, SEC_SKIP };

enum cluster_key {
    CK_NAME,
    CK_KEY_FILE,
    CK_INTERVAL,
    CK_TIMEOUT,
    CK_INITIAL_TIMEOUT,
    CK_REALTIME,
    CK_QUORUM,
    CK_ALLOW_SPLIT_BRAIN,
    CK_COUNT
};

enum link_key {
    LK_TYPE,
    LK_PRIORITY,
    LK_PORT,
    LK_FAMILY,
    LK_DEVICE,
    LK_URL,
    LK_TOKEN_FILE,
    LK_PROXY,
    LK_CA_FILE,
    LK_INTERVAL,
    LK_TIMEOUT,
    LK_COUNT
};

/* What `type =` said: nothing yet, one of the kinds, or junk. */
enum raw_link_type { RLT_UNSET, RLT_UDP, RLT_DISK, RLT_WITNESS, RLT_BAD };

enum np_key { NPK_TYPE, NPK_TARGETS, NPK_COUNT, NPK_URL, NPK_INTERVAL, NPK_TIMEOUT, NPK_KEYS };

/* What `type =` said in an [np] section. */
enum raw_np_type { RNP_UNSET, RNP_PING, RNP_HTTP, RNP_BAD };

/* A key remembered with its line, for checks that must wait for the end. */
struct raw_key {
    char key[VIGIL_NAME_MAX];
    char value[CONF_ADDR_TEXT_MAX];
    int line;
    bool key_long;   /* key was cut to fit */
    bool value_long; /* value was cut to fit */
};

struct raw_link {
    char name[VIGIL_NAME_MAX];
    int line;
    int key_line[LK_COUNT]; /* 0: not set */
    enum raw_link_type type;
    int priority; /* 0: missing or bad */
    uint16_t port;
    int family;      /* AF_UNSPEC until `family =` or the first address */
    int family_line; /* the line that decided the family */
    int family_node; /* node whose address decided it; -1: the `family` key */
    char device[VIGIL_PATH_MAX];
    char url[CONF_URL_MAX];
    bool url_ok;    /* url was set and is well formed */
    bool url_https; /* and starts with https:// */
    char token_file[VIGIL_PATH_MAX];
    char proxy[CONF_URL_MAX];
    char ca_file[VIGIL_PATH_MAX];
    vg_usec_t interval, timeout; /* valid when their key_line is set and !timing_bad */
    bool timing_bad;             /* an interval or timeout key did not parse */
    struct raw_key unknown[CONF_LINK_UNKNOWN_MAX];
    int n_unknown;
};

struct raw_np {
    char name[VIGIL_NAME_MAX];
    int line;
    int key_line[NPK_KEYS]; /* 0: not set */
    enum raw_np_type type;
    struct sockaddr_storage targets[CONF_NP_TARGETS_MAX];
    socklen_t target_len[CONF_NP_TARGETS_MAX];
    int n_targets;
    int count;                   /* valid when its key_line is set */
    vg_usec_t interval, timeout; /* valid when their key_line is set and !timing_bad */
    bool timing_bad;             /* an interval or timeout key did not parse */
    char url[CONF_URL_MAX];
    struct raw_key unknown[CONF_LINK_UNKNOWN_MAX];
    int n_unknown;
};

struct raw_node {
    char name[VIGIL_NAME_MAX];
    int line;
    int id;                                  /* 0: missing or bad */
    int id_line;                             /* 0: no `id =` key */
    int votes;                               /* default 1 */
    int votes_line;                          /* 0: no `votes =` key */
    struct raw_key keys[CONF_NODE_KEYS_MAX]; /* every key but id, in file order */
    int n_keys;
    /* resolved after the whole file: address on raw link i */
    struct sockaddr_storage addr[VIGIL_MAX_LINKS];
    socklen_t addr_len[VIGIL_MAX_LINKS];
    int addr_line[VIGIL_MAX_LINKS]; /* line of the key naming link i; 0: none */
};

struct conf_parser {
    const char *path;
    const char *text;
    size_t len;
    size_t pos;

    int lineno;      /* line last handed to inih */
    const char *raw; /* that line, after leading blanks (not NUL-terminated) */
    size_t raw_len;
    bool kv_pending; /* handed to inih as key = value, handler not called yet */

    enum conf_sec sec; /* the section the current line belongs to */
    int sec_index;     /* index in nodes[] or links[] */

    int cluster_line; /* 0: no [cluster] */
    int cluster_key_line[CK_COUNT];
    bool timing_bad; /* a timing key did not parse: skip the cross checks */

    struct raw_link links[VIGIL_MAX_LINKS];
    int n_links;
    struct raw_node nodes[VIGIL_MAX_NODES];
    int n_nodes;
    struct raw_np nps[CONF_NP_MAX];
    int n_nps;

    struct conf *out; /* cluster keys are written straight into it */

    struct conf_diag diag;
    int diag_line[CONF_DIAG_MAX];
    int errors;
};

/* "timeout must be larger than interval" for a section with timing of its
 * own; `from` says where an unset one comes from ("from [cluster]"), `what`
 * names the section kind in the hint ("link"). Reports nothing when fine. */
void conf_check_timing_pair(struct conf_parser *p, const char *label, vg_usec_t interval,
                            vg_usec_t timeout, int interval_line, int timeout_line,
                            const char *from, const char *what);

/* Fill k for `key` on the current line (kept to be reported later). */
void conf_raw_key_set(struct conf_parser *p, struct raw_key *k, const char *key);

/* Record one error: "PATH:LINE: " then the formatted text. */
void conf_err(struct conf_parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether an error was recorded for this line (among the first CONF_DIAG_MAX). */
bool conf_line_has_error(const struct conf_parser *p, int line);

/* "[cluster]", "[node \"alpha\"]", "[link \"lan1\"]" for the current section. */
const char *conf_sec_label(const struct conf_parser *p, char *buf, size_t len);
const char *conf_node_label(const struct raw_node *n, char *buf, size_t len);
const char *conf_link_label(const struct raw_link *l, char *buf, size_t len);
const char *conf_np_label(const struct raw_np *n, char *buf, size_t len);

/* One key of a section kind: its name, what a good value looks like (for
 * messages), how to store it, and for link and np keys the types it applies
 * to (a mask of 1 << RLT_... or 1 << RNP_...; 0 for other sections). */
struct key_def {
    const char *name;
    const char *expect;
    void (*set)(struct conf_parser *p, const char *key, const char *value);
    unsigned types;
};

/* keys.c, shared with np.c. conf_find_key(): the index of key in defs,
 * -ENOENT when unknown (not reported), -EINVAL after reporting a duplicate or
 * an empty value; lines[] remembers where each key was. conf_key_list():
 * "type, priority, port" for the keys that apply to one of `types` (all when
 * 0). conf_set_duration(): a duration in [min, max] into *dst, or -EINVAL
 * after reporting it. conf_set_url_value(): a url (or proxy) checked by
 * conf_parse_url() into dst, or false after reporting it. */
int conf_find_key(struct conf_parser *p, const struct key_def *defs, int n, int *lines,
                  const char *key, const char *value);
const char *conf_key_list(const struct key_def *defs, int n, unsigned types, char *buf, size_t len);
int conf_set_duration(struct conf_parser *p, const char *key, const char *value, vg_usec_t *dst,
                      vg_usec_t min, vg_usec_t max);
bool conf_set_url_value(struct conf_parser *p, const char *key, const char *value, bool proxy,
                        char *dst, size_t size, bool *https);

/* keys.c: one key = value of the current section. */
void conf_key_cluster(struct conf_parser *p, const char *key, const char *value);
void conf_key_node(struct conf_parser *p, const char *key, const char *value);
void conf_key_link(struct conf_parser *p, const char *key, const char *value);
/* Once the link's type is known: its unknown keys, and the keys it has that
 * belong to another type of link. */
void conf_link_check_keys(struct conf_parser *p, const struct raw_link *l);
/* "disk" for RLT_DISK, and so on; "unknown" for RLT_UNSET and RLT_BAD. */
const char *conf_raw_link_type_name(enum raw_link_type t);

/* np.c: [np "NAME"] sections. conf_open_np() acts on the header (name
 * checked already), conf_key_np() on one key, conf_np_check() once the file
 * is read (keys of the type, required keys, timing), conf_np_build() fills
 * p->out->nps from a file with no errors. */
void conf_open_np(struct conf_parser *p, const char *name);
void conf_key_np(struct conf_parser *p, const char *key, const char *value);
void conf_np_check(struct conf_parser *p);
void conf_np_build(struct conf_parser *p);

/* validate.c: checks that need the whole file, then the result in p->out. */
void conf_validate(struct conf_parser *p);

/* value.c: value syntax, all pure. */
int conf_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
int conf_parse_bool(const char *s, bool *out);
bool conf_name_valid(const char *s);
bool conf_text_valid(const char *s);

/* address.c: an IPv4 or IPv6 literal (IPv6 optionally in brackets) into
 * *ss with port 0. -EINVAL with *why saying what is wrong. */
int conf_parse_address(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                       const char **why);
const char *conf_family_name(int family);

/* url.c: the shape of a witness URL, http(s)://HOST[:PORT][/PATH], or with
 * `proxy` of a proxy URL, http://HOST:PORT. HOST is a DNS name, an IPv4
 * literal or a bracketed IPv6 literal; nothing is resolved. 0 with *https
 * set, or -EINVAL with *why saying what is wrong. */
int conf_parse_url(const char *s, bool proxy, bool *https, const char **why);

#endif
