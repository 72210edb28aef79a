/* How every vigilctl command reports a failure: one line on stderr,
 * prefixed with the program name, and usage errors with the command's
 * usage. */
#include "ctl.h"

#include <stdarg.h>
#include <string.h>

__attribute__((format(printf, 1, 0))) static void verror(const char *fmt, va_list ap)
{
    fputs("vigilctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void ctl_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verror(fmt, ap);
    va_end(ap);
}

int ctl_usage_error(void (*cmd_usage)(FILE *), const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verror(fmt, ap);
    va_end(ap);
    cmd_usage(stderr);
    return CTL_EXIT_USAGE;
}

int ctl_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}
