/* Sizes shared by every subsystem: the wire format, the configuration and the
 * daemon all size their tables with these. */
#ifndef VIGIL_LIMITS_H
#define VIGIL_LIMITS_H

#define VIGIL_MAX_NODES 64 /* node ids are 1..VIGIL_MAX_NODES */
#define VIGIL_MAX_LINKS 8  /* links of every type together */
#define VIGIL_NAME_MAX 64  /* node, link and cluster names, with the NUL */
#define VIGIL_PATH_MAX 4096
#define VIGIL_KEY_BYTES 32           /* cluster key: 256 bits, HMAC-SHA256 */
#define VIGIL_MAX_GROUPS 64          /* [group] sections (docs/groups.md) */
#define VIGIL_MAX_GROUP_RESOURCES 16 /* [resource] sections of one group */
#define VIGIL_MAX_RESOURCES 256      /* [resource] sections of all groups together */

#endif
