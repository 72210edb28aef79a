/* Group reports outside the heartbeat: their state names and the JSON form
 * the witness carries (docs/witness-api.md, "groups"). Pure. */
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[] = {"stopped",  "starting", "running",
                                          "stopping", "failed",   "stop-failed"};

const char *wire_group_state_name(int state)
{
    return state >= 0 && state <= WIRE_GROUP_STOP_FAILED ? state_names[state] : "invalid";
}

int wire_group_state_parse(const char *name)
{
    for (int s = 0; s <= WIRE_GROUP_STOP_FAILED; s++)
        if (strcmp(name, state_names[s]) == 0)
            return s;
    return -EINVAL;
}

json_t *group_reports_json(const struct group_reports *r)
{
    json_t *list = json_array();

    for (int g = 0; list && g < r->n && g < VIGIL_MAX_GROUPS; g++)
        json_array_append_new(list,
                              json_pack("{s:s, s:i}", "state", wire_group_state_name(r->g[g].state),
                                        "failures", (int)r->g[g].failures));
    return json_pack("{s:I, s:o}", "at", (json_int_t)r->at, "list", list);
}

/* One entry of "list": exactly "state" (a known name) and "failures"
 * (0..255). */
static int parse_entry(const json_t *e, int g, struct wire_group_report *out, char *err,
                       size_t errlen)
{
    const json_t *st = json_object_get(e, "state"), *f = json_object_get(e, "failures");
    int state;

    if (!json_is_object(e) || json_object_size(e) != 2 || !json_is_string(st) ||
        !json_is_integer(f)) {
        snprintf(err, errlen,
                 "\"groups\": entry %d must be {\"state\": NAME, \"failures\": N} and nothing "
                 "else",
                 g);
        return -EINVAL;
    }
    state = wire_group_state_parse(json_string_value(st));
    if (state < 0 || strlen(json_string_value(st)) != json_string_length(st)) {
        snprintf(err, errlen,
                 "\"groups\": entry %d: unknown state (expected stopped, starting, running, "
                 "stopping, failed or stop-failed)",
                 g);
        return -EINVAL;
    }
    if (json_integer_value(f) < 0 || json_integer_value(f) > 255) {
        snprintf(err, errlen, "\"groups\": entry %d: \"failures\" must be 0 to 255", g);
        return -EINVAL;
    }
    out->state = (uint8_t)state;
    out->failures = (uint8_t)json_integer_value(f);
    return 0;
}

int group_reports_parse(const json_t *v, struct group_reports *out, char *err, size_t errlen)
{
    const json_t *at = json_object_get(v, "at"), *list = json_object_get(v, "list");

    memset(out, 0, sizeof(*out));
    if (!json_is_object(v) || !json_is_integer(at) || !json_is_array(list)) {
        snprintf(err, errlen,
                 "\"groups\" must be an object with an integer \"at\" and an array \"list\"");
        return -EINVAL;
    }
    if (json_integer_value(at) < 0) {
        snprintf(err, errlen, "\"groups\": \"at\" must be 0 to 2^63-1");
        return -EINVAL;
    }
    if (json_array_size(list) > VIGIL_MAX_GROUPS) {
        snprintf(err, errlen, "\"groups\": \"list\" has %zu entries, at most %d",
                 json_array_size(list), VIGIL_MAX_GROUPS);
        return -EINVAL;
    }
    for (size_t g = 0; g < json_array_size(list); g++)
        if (parse_entry(json_array_get(list, g), (int)g, &out->g[g], err, errlen) < 0)
            return -EINVAL;
    out->at = (uint64_t)json_integer_value(at);
    out->n = (uint8_t)json_array_size(list);
    return 0;
}
