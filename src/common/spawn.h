/* Child processes for resource and fence agents (docs/spawn.md): start a
 * program with posix_spawn in its own session and process group, feed its
 * stdin, capture its output into bounded buffers, enforce a timeout
 * (SIGTERM to the group, then SIGKILL), and report once, through the
 * sd-event loop, how it ended. Nothing here blocks the loop.
 *
 * The caller must have SIGCHLD blocked in every thread (sd-event watches
 * children through pidfds but requires it) and must not reap children with
 * waitpid(-1, ...) anywhere else. */
#ifndef VIGIL_SPAWN_H
#define VIGIL_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "clock.h"
#include "log.h"

#define SPAWN_OUTPUT_LIMIT_DEFAULT (64 * 1024) /* bytes kept per stream */
#define SPAWN_OUTPUT_LIMIT_MAX (16 * 1024 * 1024)
#define SPAWN_KILL_GRACE_DEFAULT (5 * VG_USEC_PER_SEC) /* SIGTERM → SIGKILL */

/* What to run. Everything is copied by spawn_start; nothing needs to
 * outlive the call. */
struct spawn_opts {
    const char *path;       /* absolute path of the program; NULL: argv[0] */
    char *const *argv;      /* NULL-terminated, argv[0] required */
    char *const *envp;      /* the whole environment, NULL-terminated; NULL: empty */
    const char *cwd;        /* working directory; NULL: "/" */
    const void *stdin_data; /* written to stdin, then stdin is closed; NULL: /dev/null */
    size_t stdin_len;
    vg_usec_t timeout;    /* 0: none */
    vg_usec_t kill_grace; /* SIGTERM → SIGKILL → give up; 0: SPAWN_KILL_GRACE_DEFAULT */
    size_t output_limit;  /* bytes kept per stream; 0: SPAWN_OUTPUT_LIMIT_DEFAULT */
    bool separate_stderr; /* stderr into result.err; otherwise merged into result.out */
    int64_t priority;     /* of the sd-event sources (vigild: PRIO_CONTROL) */
};

enum spawn_outcome {
    SPAWN_EXITED,    /* exit_code is set */
    SPAWN_SIGNALED,  /* killed by `signal`, not by us */
    SPAWN_TIMED_OUT, /* we killed it at the timeout; `signal` is the last one sent */
    SPAWN_FAILED,    /* it never ran: `error` says why (ENOENT, EACCES, ...) */
};

/* Captured bytes of one stream: the first `len` bytes (at most the output
 * limit; NUL-terminated for convenience), and how many more were dropped. */
struct spawn_output {
    const char *data;
    size_t len;
    uint64_t dropped; /* > 0: truncated */
};

/* How a child ended. Valid only during the completion callback. */
struct spawn_result {
    enum spawn_outcome outcome;
    int exit_code;      /* SPAWN_EXITED: 0..255 */
    int signal;         /* SPAWN_SIGNALED, SPAWN_TIMED_OUT (SIGTERM or SIGKILL) */
    bool core_dumped;   /* SPAWN_SIGNALED */
    bool still_running; /* SPAWN_TIMED_OUT: not gone kill_grace after SIGKILL (stuck in D state) */
    int error;          /* SPAWN_FAILED: a positive errno */
    bool cwd_failed;    /* SPAWN_FAILED: the working directory, not the program, was the problem */
    const char *path;
    const char *cwd;
    pid_t pid;               /* 0 for SPAWN_FAILED */
    vg_usec_t timeout;       /* as asked */
    vg_usec_t duration;      /* from the start to the exit (or to the report) */
    struct spawn_output out; /* stdout, plus stderr unless separate_stderr */
    struct spawn_output err; /* stderr with separate_stderr; otherwise empty */
};

/* A running child: opaque, valid from spawn_start until its callback returns
 * or until spawn_cancel. */
struct spawn;

typedef void (*spawn_done_fn)(struct spawn *s, const struct spawn_result *r, void *userdata);

/* Start a child. On 0, `done` is called exactly once from the loop (never
 * from inside spawn_start), unless spawn_cancel comes first; a program that
 * cannot be run (ENOENT, EACCES, a bad cwd, ...) is reported that way too, as
 * SPAWN_FAILED. A negative errno means nothing was started and `done` will
 * never be called: -EINVAL (bad options), -EBUSY (SIGCHLD not blocked),
 * -ENOMEM, -EMFILE. `ret` may be NULL. */
int spawn_start(sd_event *ev, const struct spawn_opts *opts, spawn_done_fn done, void *userdata,
                struct spawn **ret);

/* Kill the child's process group (SIGKILL) and forget it: no callback comes
 * after this, and the handle is gone. The child is still reaped by the loop.
 * NULL is a no-op, and so is a call from inside the child's own callback. */
void spawn_cancel(struct spawn *s);

/* The child's pid (and process group id); 0 when it never ran. */
pid_t spawn_pid(const struct spawn *s);

/* ---- spawn_env.c: building an environment (pure) ---- */

/* A growing "NAME=value" array, always NULL-terminated once non-empty:
 * `vars` is what spawn_opts.envp takes (NULL means empty). */
struct spawn_env {
    char **vars;
    size_t n;
    size_t cap;
};

/* Whether name is a portable variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool spawn_env_name_valid(const char *name);

/* Set NAME to the value_len bytes at value (replacing an earlier NAME).
 * -EINVAL with a sentence in err for a bad name or a value holding a NUL;
 * -ENOMEM. */
int spawn_env_set(struct spawn_env *env, const char *name, const char *value, size_t value_len,
                  char *err, size_t errlen);

/* The same for a NUL-terminated value. */
int spawn_env_set_str(struct spawn_env *env, const char *name, const char *value, char *err,
                      size_t errlen);

void spawn_env_free(struct spawn_env *env);

/* ---- spawn_output.c: reading results (pure, except spawn_log_output) ---- */

struct spawn_line {
    const char *text; /* points into the split buffer; not NUL-terminated */
    size_t len;       /* without the line end ("\n" or "\r\n") */
};

/* Split captured output into lines, keeping at most `max` in lines[]: *n gets
 * how many were kept, *total how many there are (a last line without "\n"
 * counts; the empty string after a final "\n" does not). */
int spawn_split_lines(const char *buf, size_t len, struct spawn_line *lines, size_t max, size_t *n,
                      size_t *total);

/* Copy a line for a log: control bytes become \xNN, and a line that does not
 * fit ends in "...". Always NUL-terminates (size > 0). */
int spawn_line_escape(const char *text, size_t len, char *buf, size_t size);

/* One phrase for how it ended: "exit 7", "killed by SIGKILL", "timed out
 * after 5s", "cannot run /usr/sbin/x: No such file or directory". */
int spawn_status_text(const struct spawn_result *r, char *buf, size_t size);

/* Log up to max_lines lines of o, each as "PREFIX: line", then how many lines
 * and bytes were left out, if any. */
void spawn_log_output(enum log_level level, const char *prefix, const struct spawn_output *o,
                      size_t max_lines);

#endif
