/* vigilctl keygen [--force] FILE: make a new cluster key (src/common/keyfile.c). */
#include "ctl.h"

#include <string.h>

#include "../common/keyfile.h"

static void keygen_usage(FILE *out)
{
    fprintf(out, "usage: vigilctl keygen [--force] FILE\n"
                 "\n"
                 "Write a new random cluster key (64 hex digits, 256 bits) to FILE with mode\n"
                 "0600, usually /etc/vigil/authkey. Copy the same file to every node.\n"
                 "\n"
                 "options:\n"
                 "  -f, --force  replace FILE if it exists (atomically: readers see the old\n"
                 "               key or the new one, never a mix)\n"
                 "  -h, --help   show this help\n");
}

static int keygen_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
    const char *path = NULL;
    char err[VIGIL_PATH_MAX + 256];
    int force = 0, opts_done = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!opts_done && a[0] == '-' && a[1] != '\0') {
            if (ctl_is_help(a)) {
                keygen_usage(stdout);
                return CTL_EXIT_OK;
            } else if (strcmp(a, "--force") == 0 || strcmp(a, "-f") == 0) {
                force = 1;
            } else if (strcmp(a, "--") == 0) {
                opts_done = 1;
            } else {
                return ctl_usage_error(keygen_usage, "keygen: unknown option '%s'", a);
            }
        } else if (!path) {
            path = a;
        } else {
            return ctl_usage_error(keygen_usage, "keygen: unexpected argument '%s'", a);
        }
    }
    if (!path || !*path)
        return ctl_usage_error(keygen_usage, "keygen: missing FILE");

    if (keyfile_generate(path, force, err, sizeof(err)) < 0) {
        ctl_error("%s", err);
        return CTL_EXIT_FAIL;
    }
    printf("wrote a new cluster key to %s; copy it to every node (mode 0600)\n", path);
    return CTL_EXIT_OK;
}

const struct ctl_command ctl_cmd_keygen = {
    .name = "keygen",
    .summary = "write a new cluster key file",
    .run = keygen_run,
    .usage = keygen_usage,
};
