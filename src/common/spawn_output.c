/* Turning a child's result into text: lines of its output for the log, and
 * one phrase for how it ended (spawn.h). */
#include "spawn.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int spawn_split_lines(const char *buf, size_t len, struct spawn_line *lines, size_t max, size_t *n,
                      size_t *total)
{
    size_t kept = 0, count = 0, pos = 0;

    if ((!buf && len) || (!lines && max) || !n || !total)
        return -EINVAL;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t l = end - pos;

        if (nl && l > 0 && buf[end - 1] == '\r')
            l--;
        if (kept < max) {
            lines[kept].text = buf + pos;
            lines[kept].len = l;
            kept++;
        }
        count++;
        pos = nl ? end + 1 : len;
    }
    *n = kept;
    *total = count;
    return 0;
}

/* Bytes c takes once escaped, written into esc (at least 5 bytes). */
static size_t escape_byte(unsigned char c, char *esc)
{
    if ((c < 0x20 && c != '\t') || c == 0x7f)
        return (size_t)snprintf(esc, 5, "\\x%02x", c);
    esc[0] = (char)c;
    return 1;
}

int spawn_line_escape(const char *text, size_t len, char *buf, size_t size)
{
    static const char ellipsis[] = "...";
    size_t need = 0, room, o = 0;
    char esc[5];

    if (!buf || size == 0 || (!text && len))
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        need += escape_byte((unsigned char)text[i], esc);
    /* all of it, or as much as leaves room for the ellipsis */
    room = need < size ? need : (size - 1 > sizeof(ellipsis) - 1 ? size - sizeof(ellipsis) : 0);
    for (size_t i = 0; i < len; i++) {
        size_t w = escape_byte((unsigned char)text[i], esc);

        if (o + w > room)
            break;
        memcpy(buf + o, esc, w);
        o += w;
    }
    if (need >= size)
        snprintf(buf + o, size - o, "%s", ellipsis);
    else
        buf[o] = '\0';
    return 0;
}

/* A duration the way the configuration writes it: "2m", "5s", "150ms". */
static void format_duration(vg_usec_t usec, char *buf, size_t size)
{
    if (usec >= 60 * VG_USEC_PER_SEC && usec % (60 * VG_USEC_PER_SEC) == 0)
        snprintf(buf, size, "%" PRIu64 "m", usec / (60 * VG_USEC_PER_SEC));
    else if (usec % VG_USEC_PER_SEC == 0)
        snprintf(buf, size, "%" PRIu64 "s", usec / VG_USEC_PER_SEC);
    else if (usec % VG_USEC_PER_MSEC == 0)
        snprintf(buf, size, "%" PRIu64 "ms", usec / VG_USEC_PER_MSEC);
    else
        snprintf(buf, size, "%" PRIu64 "us", usec);
}

/* "SIGKILL", or "signal 42" for one without a name. */
static void format_signal(int sig, char *buf, size_t size)
{
    const char *abbrev = sigabbrev_np(sig);

    if (abbrev)
        snprintf(buf, size, "SIG%s", abbrev);
    else
        snprintf(buf, size, "signal %d", sig);
}

int spawn_status_text(const struct spawn_result *r, char *buf, size_t size)
{
    char a[32], b[32];

    if (!r || !buf || size == 0)
        return -EINVAL;
    switch (r->outcome) {
    case SPAWN_EXITED:
        snprintf(buf, size, "exit %d", r->exit_code);
        return 0;
    case SPAWN_SIGNALED:
        format_signal(r->signal, a, sizeof(a));
        snprintf(buf, size, "killed by %s%s", a, r->core_dumped ? " (core dumped)" : "");
        return 0;
    case SPAWN_TIMED_OUT:
        format_duration(r->timeout, a, sizeof(a));
        if (r->still_running)
            snprintf(buf, size, "timed out after %s, still running after SIGKILL", a);
        else if (r->signal == SIGKILL)
            snprintf(buf, size, "timed out after %s, killed by SIGKILL (SIGTERM was not enough)",
                     a);
        else
            snprintf(buf, size, "timed out after %s", a);
        return 0;
    case SPAWN_FAILED:
        snprintf(b, sizeof(b), "%s", strerrorname_np(r->error) ? strerrorname_np(r->error) : "?");
        if (r->cwd_failed)
            snprintf(buf, size, "cannot run %s: working directory %s: %s (%s)", r->path, r->cwd,
                     strerror(r->error), b);
        else
            snprintf(buf, size, "cannot run %s: %s (%s)", r->path, strerror(r->error), b);
        return 0;
    }
    snprintf(buf, size, "unknown outcome %d", (int)r->outcome);
    return -EINVAL;
}

void spawn_log_output(enum log_level level, const char *prefix, const struct spawn_output *o,
                      size_t max_lines)
{
    struct spawn_line lines[64];
    char text[512];
    size_t n, total;

    if (!o || !o->len)
        goto dropped;
    if (max_lines > sizeof(lines) / sizeof(lines[0]))
        max_lines = sizeof(lines) / sizeof(lines[0]);
    if (spawn_split_lines(o->data, o->len, lines, max_lines, &n, &total) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        spawn_line_escape(lines[i].text, lines[i].len, text, sizeof(text));
        log_msg(level, "%s: %s", prefix, text);
    }
    if (total > n)
        log_msg(level, "%s: (%zu more lines not logged)", prefix, total - n);
dropped:
    if (o && o->dropped)
        log_msg(level, "%s: (output truncated: %" PRIu64 " more bytes dropped)", prefix,
                o->dropped);
}
