/* Lookups in a parsed configuration. Tables are small (64 nodes, 8 links,
 * 64 groups, 256 resources): a linear scan is the simplest thing that is
 * fast enough. */
#include "conf.h"

#include <string.h>

const struct conf_node *conf_node_by_name(const struct conf *c, const char *name)
{
    if (!c || !name)
        return NULL;
    for (int i = 0; i < c->n_nodes; i++)
        if (strcmp(c->nodes[i].name, name) == 0)
            return &c->nodes[i];
    return NULL;
}

const struct conf_node *conf_node_by_id(const struct conf *c, int id)
{
    if (!c)
        return NULL;
    for (int i = 0; i < c->n_nodes; i++)
        if (c->nodes[i].id == id)
            return &c->nodes[i];
    return NULL;
}

int conf_link_index(const struct conf *c, const char *name)
{
    if (!c || !name)
        return -1;
    for (int i = 0; i < c->n_links; i++)
        if (strcmp(c->links[i].name, name) == 0)
            return i;
    return -1;
}

const char *conf_link_type_name(enum link_type t)
{
    switch (t) {
    case LINK_UDP:
        return "udp";
    case LINK_DISK:
        return "disk";
    case LINK_WITNESS:
        return "witness";
    }
    return "unknown";
}

const struct conf_group *conf_group_by_name(const struct conf *c, const char *name)
{
    if (!c || !name)
        return NULL;
    for (int i = 0; i < c->n_groups; i++)
        if (strcmp(c->groups[i].name, name) == 0)
            return &c->groups[i];
    return NULL;
}

const struct conf_resource *conf_resource_by_name(const struct conf *c, const char *group,
                                                  const char *name)
{
    const struct conf_group *g = conf_group_by_name(c, group);

    if (!g || !name)
        return NULL;
    for (int i = g->first_resource; i < g->first_resource + g->n_resources; i++)
        if (strcmp(c->resources[i].name, name) == 0)
            return &c->resources[i];
    return NULL;
}

const char *conf_text(const struct conf *c, uint32_t off)
{
    return c && off > 0 && off < c->text_len ? c->text + off : "";
}
