#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static struct {
    bool to_stderr;
    enum log_level level;
    char node[64];
    char ident[32];
} log_state = {.to_stderr = true, .level = LOG_LVL_INFO};

static const int syslog_prio[] = {
    [LOG_LVL_ERR] = LOG_ERR,   [LOG_LVL_WARN] = LOG_WARNING, [LOG_LVL_NOTICE] = LOG_NOTICE,
    [LOG_LVL_INFO] = LOG_INFO, [LOG_LVL_DEBUG] = LOG_DEBUG,
};

static const char *const level_name[] = {
    [LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warning", [LOG_LVL_NOTICE] = "notice",
    [LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
};

void log_open(const char *ident, const char *node, bool to_stderr)
{
    log_state.to_stderr = to_stderr;
    snprintf(log_state.ident, sizeof(log_state.ident), "%s", ident);
    snprintf(log_state.node, sizeof(log_state.node), "%s", node ? node : "");
    if (!to_stderr)
        openlog(log_state.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
    log_state.level = level;
}

void log_close(void)
{
    if (!log_state.to_stderr)
        closelog();
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (level > log_state.level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);

    if (!log_state.to_stderr) {
        if (log_state.node[0])
            syslog(syslog_prio[level], "[%s] %s: %s", log_state.node, level_name[level], line);
        else
            syslog(syslog_prio[level], "%s: %s", level_name[level], line);
        return;
    }

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (log_state.node[0])
        fprintf(stderr, "[%5lld.%03ld] %s[%s] %s: %s\n", (long long)ts.tv_sec, ts.tv_nsec / 1000000,
                log_state.ident, log_state.node, level_name[level], line);
    else
        fprintf(stderr, "%s: %s: %s\n", log_state.ident, level_name[level], line);
}
