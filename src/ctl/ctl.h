/* vigilctl, the command line of Vigil: what its files share. main.c parses the
 * global options and dispatches to one function per command; client.c talks
 * to vigild over its control socket (docs/status-json.md); table.c turns a
 * status object into text. See docs/vigilctl.md for the user's view. */
#ifndef VIGIL_CTL_H
#define VIGIL_CTL_H

#include <stdio.h>

#include <jansson.h>

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.1.0"
#endif

#define CTL_DEFAULT_SOCKET "/run/vigil/vigild.sock"
#define CTL_SOCKET_ENV "VIGIL_SOCKET"

/* A whole exchange with vigild (connect, request, reply) must end within this. */
#define CTL_TIMEOUT_MS 5000
/* A reply larger than this is refused rather than buffered. */
#define CTL_REPLY_MAX (4u << 20)

/* Exit codes of vigilctl. */
enum ctl_exit {
    CTL_EXIT_OK = 0,
    CTL_EXIT_FAIL = 1,  /* the command ran and failed: daemon down, bad config, ... */
    CTL_EXIT_USAGE = 2, /* bad command line */
};

/* What the global options decided, handed to every command. */
struct ctl_ctx {
    const char *socket_path; /* --socket, else $VIGIL_SOCKET, else the default */
};

/* A command: run() gets argv from the command name on and returns an exit
 * code; usage() prints its synopsis and options. */
struct ctl_command {
    const char *name;
    const char *summary;
    int (*run)(const struct ctl_ctx *ctx, int argc, char **argv);
    void (*usage)(FILE *out);
};

/* main.c */

/* Print "vigilctl: <message>" and the command's usage to stderr; returns
 * CTL_EXIT_USAGE for the caller to return. */
int ctl_usage_error(void (*usage)(FILE *), const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "vigilctl: <message>" to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when arg is --help or -h. */
int ctl_is_help(const char *arg);

/* client.c */

/* Send {"command": command} to vigild at socket_path and return its reply
 * object in *reply (the caller json_decref()s it). Bounded in time
 * (CTL_TIMEOUT_MS) and size (CTL_REPLY_MAX). Returns 0, or -errno with a full
 * sentence in err; a reply carrying an "error" key gives -EREMOTEIO with the
 * daemon's message in err. */
int ctl_call(const char *socket_path, const char *command, json_t **reply, char *err,
             size_t errlen);

/* The same with a whole request object (it must hold "command"); req is
 * not consumed. */
int ctl_call_request(const char *socket_path, json_t *req, json_t **reply, char *err,
                     size_t errlen);

/* table.c */

/* Write a human view of a status object (docs/status-json.md) to out: header,
 * a node x link table, groups, non-zero drop counters. Pure: never fails on
 * missing fields or wrong types, renders "?" instead. Returns 0, or -EIO when
 * writing to out failed. */
int ctl_status_render(const json_t *status, FILE *out);

/* "0.4s", "12s", "5m03s", "2h05m", "3d04h" (negative: "-1.2s"). */
void ctl_format_age(char *buf, size_t size, double seconds);

/* Print every error of a failed conf_load() and "FILE: N error(s)". */
struct conf_diag;
void ctl_print_conf_errors(const char *path, int r, const struct conf_diag *diag);

/* The commands. */
extern const struct ctl_command ctl_cmd_status;
extern const struct ctl_command ctl_cmd_keygen;
extern const struct ctl_command ctl_cmd_config;
extern const struct ctl_command ctl_cmd_disk;
/* group_cmd.c */
extern const struct ctl_command ctl_cmd_move;
extern const struct ctl_command ctl_cmd_stop;
extern const struct ctl_command ctl_cmd_start;
extern const struct ctl_command ctl_cmd_standby;
extern const struct ctl_command ctl_cmd_unstandby;

#endif
