/* A small XML scanner for OCF meta-data (agent_xml.c, pure): tokens (start
 * tag with its attributes, end tag, text) over a buffer, with the
 * well-formedness checks that a reader of meta-data needs. Comments,
 * processing instructions and the DOCTYPE are skipped; CDATA is text; the
 * five predefined and the numeric character references are checked while
 * scanning and decoded on demand. No DTD, no namespaces, no external
 * entities: nothing is ever fetched. Internal to src/resources. */
#ifndef VIGIL_AGENT_XML_H
#define VIGIL_AGENT_XML_H

#include <stdbool.h>
#include <stddef.h>

#define XML_ATTRS_MAX 16

enum xml_type { XML_END, XML_OPEN, XML_CLOSE, XML_TEXT };

/* An attribute: its name and its raw value (references not yet decoded). */
struct xml_attr {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* One token; pointers are into the scanned buffer. */
struct xml_token {
    enum xml_type type;
    const char *name; /* OPEN, CLOSE */
    size_t name_len;
    bool empty; /* OPEN: <name/>, no CLOSE follows */
    struct xml_attr attrs[XML_ATTRS_MAX];
    size_t n_attrs;
    const char *text; /* TEXT */
    size_t text_len;
    bool cdata;     /* TEXT: from <![CDATA[...]]>, taken as is */
    const char *at; /* where the token starts, for xml_line */
};

struct xml_scanner {
    const char *start, *p, *end;
};

void xml_init(struct xml_scanner *x, const char *buf, size_t len);

/* The next token. -EINVAL with "line N: ..." in err for malformed input. */
int xml_next(struct xml_scanner *x, struct xml_token *t, char *err, size_t errlen);

/* The 1-based line of a position in the buffer. */
size_t xml_line(const struct xml_scanner *x, const char *at);

/* Whether a name (or attribute) is `lit`. */
bool xml_is(const char *name, size_t len, const char *lit);

/* The attribute called lit, or NULL. */
const struct xml_attr *xml_attr(const struct xml_token *t, const char *lit);

/* Decode a value or text that xml_next accepted into out (size > 0, always
 * NUL-terminated): references resolved (to UTF-8), literal blanks (tab,
 * CR, LF) as spaces, as XML normalizes attribute values; CDATA as is.
 * Returns false when it did not fit (out holds whole characters of the
 * start). */
bool xml_decode(const char *raw, size_t len, bool cdata, char *out, size_t size);

#endif
