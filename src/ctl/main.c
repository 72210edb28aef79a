/* vigilctl: global options, then one command. */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct ctl_command *const commands[] = {
    &ctl_cmd_status, &ctl_cmd_config, &ctl_cmd_keygen,  &ctl_cmd_disk,      &ctl_cmd_move,
    &ctl_cmd_stop,   &ctl_cmd_start,  &ctl_cmd_standby, &ctl_cmd_unstandby,
};

static void usage(FILE *out)
{
    fprintf(out, "usage: vigilctl [--socket PATH] COMMAND [ARGS...]\n"
                 "       vigilctl COMMAND --help\n"
                 "       vigilctl --help | --version\n"
                 "\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out,
            "\n"
            "options:\n"
            "  --socket PATH  vigild's control socket (default: $%s if set,\n"
            "                 else %s)\n"
            "  -h, --help     show this help\n"
            "  --version      show the version\n"
            "\n"
            "exit status: 0 success, 1 the command failed, 2 bad command line.\n",
            CTL_SOCKET_ENV, CTL_DEFAULT_SOCKET);
}

static const struct ctl_command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

/* `vigilctl help [COMMAND]`, the same as --help. */
static int run_help(int argc, char **argv)
{
    const struct ctl_command *cmd;

    if (argc < 2) {
        usage(stdout);
        return CTL_EXIT_OK;
    }
    cmd = find_command(argv[1]);
    if (!cmd)
        return ctl_usage_error(usage, "unknown command '%s'", argv[1]);
    cmd->usage(stdout);
    return CTL_EXIT_OK;
}

/* stdout may be a full disk or a closed pipe: a lost "wrote a new cluster
 * key" or a truncated status must not exit 0. */
static int finish(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ctl_error("cannot write to standard output: %s", strerror(errno));
        return code == CTL_EXIT_OK ? CTL_EXIT_FAIL : code;
    }
    return code;
}

int main(int argc, char **argv)
{
    struct ctl_ctx ctx = {.socket_path = CTL_DEFAULT_SOCKET};
    const struct ctl_command *cmd;
    const char *env = getenv(CTL_SOCKET_ENV);
    int i;

    if (env && *env)
        ctx.socket_path = env;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];

        if (ctl_is_help(a)) {
            usage(stdout);
            return finish(CTL_EXIT_OK);
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("vigilctl %s\n", VIGIL_VERSION);
            return finish(CTL_EXIT_OK);
        } else if (strcmp(a, "--socket") == 0 || strcmp(a, "-s") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return ctl_usage_error(usage, "option '%s' needs a PATH", a);
            ctx.socket_path = argv[++i];
        } else if (strncmp(a, "--socket=", 9) == 0) {
            if (a[9] == '\0')
                return ctl_usage_error(usage, "option '--socket' needs a PATH");
            ctx.socket_path = a + 9;
        } else if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else {
            return ctl_usage_error(usage, "unknown option '%s'", a);
        }
    }
    if (i >= argc)
        return ctl_usage_error(usage, "missing COMMAND");

    if (strcmp(argv[i], "help") == 0)
        return finish(run_help(argc - i, argv + i));
    cmd = find_command(argv[i]);
    if (!cmd)
        return ctl_usage_error(usage, "unknown command '%s'", argv[i]);
    return finish(cmd->run(&ctx, argc - i, argv + i));
}
