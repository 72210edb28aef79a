/* Unit tests of OCF meta-data reading (src/resources/agent_ocf_meta.c, the
 * XML scanner agent_xml.c) and of checking parameters against it
 * (agent_ocf_params.c): real-world shapes, every XML construct the scanner
 * knows, each malformation with its message, every truncation and a few
 * thousand mutations of a good document without a crash. Pure: no I/O. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/resources/agent.h"
#include "../../src/resources/agent_xml.h"

#define SEC VG_USEC_PER_SEC

static const char good[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
    "<resource-agent name=\"IPaddr2\" version=\"1.0\">\n"
    "<version>1.0</version>\n"
    "<longdesc lang=\"en\">Manages <b>virtual</b> addresses &amp; more</longdesc>\n"
    "<shortdesc lang=\"en\">Manages virtual IPv4 and IPv6 addresses</shortdesc>\n"
    "<parameters>\n"
    "<parameter name=\"ip\" unique=\"1\" required=\"1\">\n"
    "<longdesc lang=\"en\">The address</longdesc>\n"
    "<shortdesc lang=\"en\">IPv4 or IPv6 address</shortdesc>\n"
    "<content type=\"string\" />\n"
    "</parameter>\n"
    "<parameter name=\"nic\" unique=\"0\">\n"
    "<shortdesc lang=\"en\">Network\n   interface</shortdesc>\n"
    "<content type=\"string\" default=\"\"/>\n"
    "</parameter>\n"
    "<parameter name=\"cidr_netmask\"><content type=\"integer\" default=\"24\"/></parameter>\n"
    "</parameters>\n"
    "<actions>\n"
    "<action name=\"start\"   timeout=\"20s\" />\n"
    "<action name=\"stop\"    timeout=\"25s\" />\n"
    "<action name=\"status\" depth=\"0\"  timeout=\"20s\" interval=\"10s\" />\n"
    "<action name=\"monitor\" depth=\"0\"  timeout=\"30s\" interval=\"10s\" />\n"
    "<action name=\"meta-data\"  timeout=\"5s\" />\n"
    "<action name=\"validate-all\"  timeout=\"20s\" />\n"
    "</actions>\n"
    "</resource-agent>\n";

/* Parse a NUL-terminated document; fail the test on an error. */
static void parse_ok(const char *xml, struct agent_ocf_meta *m)
{
    char err[AGENT_ERR_MAX];

    if (agent_ocf_meta_parse(xml, strlen(xml), m, err, sizeof(err)) < 0)
        fail_msg("%s", err);
}

/* Parse a document that must be refused with exactly `want`. */
static void parse_bad(const char *xml, const char *want)
{
    struct agent_ocf_meta m = {0};
    char err[AGENT_ERR_MAX] = "";

    if (agent_ocf_meta_parse(xml, strlen(xml), &m, err, sizeof(err)) != -EINVAL)
        fail_msg("accepted: %s", xml);
    if (strcmp(err, want) != 0)
        fail_msg("message '%s', expected '%s'", err, want);
    assert_null(m.params); /* *out untouched */
}

/* A document with body inside <resource-agent>. */
static char *wrap(const char *body)
{
    char *s = NULL;

    assert_true(asprintf(&s, "<resource-agent name=\"x\">\n%s\n</resource-agent>\n", body) > 0);
    return s;
}

static void test_good(void **state)
{
    struct agent_ocf_meta m;
    const struct agent_ocf_param_meta *p;

    parse_ok(good, &m);
    assert_string_equal(m.name, "IPaddr2");
    assert_int_equal(m.n_params, 3);
    p = agent_ocf_meta_param(&m, "ip");
    assert_non_null(p);
    assert_true(p->required);
    assert_true(p->unique);
    assert_string_equal(p->type, "string");
    assert_string_equal(p->default_value, "");
    assert_string_equal(p->shortdesc, "IPv4 or IPv6 address");
    p = agent_ocf_meta_param(&m, "nic");
    assert_false(p->required);
    assert_false(p->unique);
    assert_string_equal(p->shortdesc, "Network interface"); /* blanks folded */
    p = agent_ocf_meta_param(&m, "cidr_netmask");
    assert_string_equal(p->type, "integer");
    assert_string_equal(p->default_value, "24");
    assert_string_equal(p->shortdesc, "");
    assert_null(agent_ocf_meta_param(&m, "IP"));
    assert_null(agent_ocf_meta_param(&m, NULL));

    assert_int_equal(m.timeout[AGENT_ACTION_START], 20 * SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_STOP], 25 * SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_MONITOR], 30 * SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_META_DATA], 5 * SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_VALIDATE_ALL], 20 * SEC);
    assert_int_equal(m.monitor_interval, 10 * SEC);
    for (int a = 0; a < AGENT_ACTION_COUNT; a++)
        assert_true(m.has_action[a]);

    assert_int_equal(agent_ocf_meta_timeout(&m, AGENT_ACTION_STOP, 0), 25 * SEC);
    assert_int_equal(agent_ocf_meta_timeout(&m, AGENT_ACTION_STOP, 3 * SEC), 3 * SEC);
    assert_int_equal(agent_ocf_meta_timeout(NULL, AGENT_ACTION_STOP, 0), AGENT_TIMEOUT_DEFAULT);
    agent_ocf_meta_free(&m);
    assert_null(m.params);
    agent_ocf_meta_free(NULL);
}

/* Comments, processing instructions, a DOCTYPE with an internal subset,
 * CDATA, references of every kind, single quotes, blanks around '='. */
static void test_constructs(void **state)
{
    static const char doc[] =
        "\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?>\n"
        "<!-- a comment with <tags> & ampersands -->\n"
        "<!DOCTYPE resource-agent [ <!ENTITY x \"a > b\"> <!ATTLIST p q CDATA '>'> ]>\n"
        "<resource-agent name = 'caf&#233;' >\n"
        "<?pi inside?>\n"
        "<parameters><!-- before -->\n"
        "<parameter name=\"msg\" required='true'>\n"
        "<shortdesc lang=\"de\">Nachricht</shortdesc>\n"
        "<shortdesc lang=\"en-GB\">A <![CDATA[<raw> & text]]> &lt;tag&gt; &#x263A; &quot;q&quot; "
        "&apos;a&apos;</shortdesc>\n"
        "<shortdesc>later, same rank: ignored</shortdesc>\n"
        "<content type=\"string\" default=\"a&amp;b&#10;c\td\"/>\n"
        "<content type=\"integer\" default=\"second content: ignored\"/>\n"
        "</parameter>\n"
        "<parameter name=\"other\"><shortdesc lang=\"fr\">Autre</shortdesc></parameter>\n"
        "<parameter name=\"empty\"/>\n"
        "</parameters>\n"
        "</resource-agent>\n"
        "<!-- trailing comment -->\n";
    struct agent_ocf_meta m;

    parse_ok(doc, &m); /* with a byte order mark */
    assert_string_equal(m.name, "caf\xc3\xa9");
    assert_int_equal(m.n_params, 3);
    assert_true(m.params[0].required);
    assert_string_equal(m.params[0].shortdesc, "A <raw> & text <tag> \xe2\x98\xba \"q\" 'a'");
    assert_string_equal(m.params[0].type, "string");
    /* literal blanks in values are spaces, referenced ones stay (XML's normalization) */
    assert_string_equal(m.params[0].default_value, "a&b\nc d");
    assert_string_equal(m.params[1].shortdesc, "Autre"); /* no English: what there is */
    assert_string_equal(m.params[2].name, "empty");
    for (int a = 0; a < AGENT_ACTION_COUNT; a++) {
        assert_false(m.has_action[a]);
        assert_int_equal(m.timeout[a], 0);
    }
    agent_ocf_meta_free(&m);
}

/* Several monitors (per role, per depth): the plain depth-0 one wins,
 * wherever it is; unknown actions are ignored; the first start counts. */
static void test_monitors(void **state)
{
    char *doc =
        wrap("<actions>\n"
             "<action name=\"monitor\" role=\"Promoted\" timeout=\"11s\" interval=\"1s\"/>\n"
             "<action name=\"monitor\" depth=\"10\" timeout=\"12s\" interval=\"2s\"/>\n"
             "<action name=\"monitor\" timeout=\"13s\" interval=\"3s\"/>\n"
             "<action name=\"monitor\" timeout=\"14s\" interval=\"4s\"/>\n"
             "<action name=\"promote\" timeout=\"junk is fine here\"/>\n"
             "<action name=\"start\" timeout=\"2min\"/>\n"
             "<action name=\"start\" timeout=\"3min\"/>\n"
             "</actions>");
    struct agent_ocf_meta m;

    parse_ok(doc, &m);
    assert_int_equal(m.timeout[AGENT_ACTION_MONITOR], 13 * SEC);
    assert_int_equal(m.monitor_interval, 3 * SEC);
    assert_int_equal(m.timeout[AGENT_ACTION_START], 120 * SEC);
    assert_true(m.has_action[AGENT_ACTION_MONITOR]);
    assert_false(m.has_action[AGENT_ACTION_STOP]);
    agent_ocf_meta_free(&m);
    free(doc);

    doc = wrap("<actions><action name=\"monitor\" role=\"Unpromoted\" timeout=\"9s\"/></actions>");
    parse_ok(doc, &m);
    assert_int_equal(m.timeout[AGENT_ACTION_MONITOR], 9 * SEC);
    assert_int_equal(m.monitor_interval, 0);
    agent_ocf_meta_free(&m);
    free(doc);
}

static void test_durations(void **state)
{
    static const struct {
        const char *s;
        vg_usec_t usec;
    } ok[] = {
        {"20s", 20 * SEC},
        {"20", 20 * SEC},
        {" 30 s ", 30 * SEC},
        {"2min", 120 * SEC},
        {"2m", 120 * SEC},
        {"1h", 3600 * SEC},
        {"1hr", 3600 * SEC},
        {"500ms", 500 * 1000},
        {"500msec", 500 * 1000},
        {"7us", 7},
        {"7usec", 7},
        {"10SEC", 10 * SEC},
        {"0", 0},
        {"20sec", 20 * SEC},
    };
    static const char *const bad[] = {"", "s", "1.5s", "-1s", "20 parsecs", "20s 1", "0x10", "1d"};
    vg_usec_t v;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (agent_ocf_parse_duration(ok[i].s, &v) != 0)
            fail_msg("'%s' refused", ok[i].s);
        assert_int_equal(v, ok[i].usec);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (agent_ocf_parse_duration(bad[i], &v) != -EINVAL)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(agent_ocf_parse_duration("99999999999999999999", &v), -ERANGE);
    assert_int_equal(agent_ocf_parse_duration("9999999999999h", &v), -ERANGE);
    assert_int_equal(agent_ocf_parse_duration(NULL, &v), -EINVAL);
}

/* Long values are cut with "...", never in the middle of a UTF-8 character. */
static void test_cut(void **state)
{
    char body[4096], def[1200], sd[600];
    struct agent_ocf_meta m;
    char *doc;
    size_t n;

    memset(def, 'd', sizeof(def) - 1);
    def[sizeof(def) - 1] = '\0';
    for (n = 0; n + 2 < sizeof(sd); n += 2)
        memcpy(sd + n, "\xc3\xa9", 2); /* é */
    sd[n] = '\0';
    snprintf(body, sizeof(body),
             "<parameters><parameter name=\"p\"><shortdesc>%s</shortdesc>"
             "<content default=\"%s\"/></parameter></parameters>",
             sd, def);
    doc = wrap(body);
    parse_ok(doc, &m);
    n = strlen(m.params[0].default_value);
    assert_int_equal(n, AGENT_SHORT_MAX - 1);
    assert_string_equal(m.params[0].default_value + n - 3, "...");
    n = strlen(m.params[0].shortdesc);
    assert_true(n <= AGENT_SHORT_MAX - 1);
    assert_string_equal(m.params[0].shortdesc + n - 3, "...");
    assert_int_equal((n - 3) % 2, 0); /* whole characters */
    assert_memory_equal(m.params[0].shortdesc + n - 5, "\xc3\xa9", 2);
    agent_ocf_meta_free(&m);
    free(doc);
}

/* Each malformation, with its message. */
static void test_malformed(void **state)
{
    static const struct {
        const char *xml, *err;
    } cases[] = {
        {"", "meta-data: no <resource-agent> element (the agent printed nothing)"},
        {"usage: Dummy {start|stop}\n", "meta-data line 1: text outside the <resource-agent> "
                                        "element"},
        {"<?xml version=\"1.0\"?>\n<html/>",
         "meta-data line 2: the root element is <html>, expected <resource-agent>: not OCF "
         "meta-data"},
        {"<resource-agent>\n<parameters>\n<parameter name=\"a\">\n",
         "meta-data line 4: the meta-data ends inside <parameter> (opened on line 3): cut short?"},
        {"<resource-agent>\n<parameters>\n</actions>\n</resource-agent>",
         "meta-data line 3: </actions> where </parameters> was expected (opened on line 2)"},
        {"<resource-agent/><resource-agent/>",
         "meta-data line 1: a second root element <resource-agent> after </resource-agent>"},
        {"<resource-agent></resource-agent></x>", "meta-data line 1: </x> closes nothing"},
        {"<resource-agent>&nbsp;</resource-agent>",
         "meta-data line 1: a '&' that starts no known reference (&lt; &gt; &amp; &quot; "
         "&apos; &#N; &#xN;): write &amp;"},
        {"<resource-agent>a & b</resource-agent>",
         "meta-data line 1: a '&' that starts no known reference (&lt; &gt; &amp; &quot; "
         "&apos; &#N; &#xN;): write &amp;"},
        {"<resource-agent>&#0;</resource-agent>",
         "meta-data line 1: a '&' that starts no known reference (&lt; &gt; &amp; &quot; "
         "&apos; &#N; &#xN;): write &amp;"},
        {"<resource-agent>&#xD800;</resource-agent>",
         "meta-data line 1: a '&' that starts no known reference (&lt; &gt; &amp; &quot; "
         "&apos; &#N; &#xN;): write &amp;"},
        {"<resource-agent>&#x110000;</resource-agent>",
         "meta-data line 1: a '&' that starts no known reference (&lt; &gt; &amp; &quot; "
         "&apos; &#N; &#xN;): write &amp;"},
        {"<resource-agent name=\"a<b\"/>",
         "meta-data line 1: '<' inside an attribute value: write &lt;"},
        {"<resource-agent name=x/>", "meta-data line 1: an attribute value must be quoted"},
        {"<resource-agent name/>", "meta-data line 1: an attribute without '=\"value\"'"},
        {"<resource-agent name=\"x/>", "meta-data line 1: an attribute value that does not end"},
        {"<resource-agent a=\"1\"b=\"2\"/>",
         "meta-data line 1: attributes must be separated by blanks"},
        {"<resource-agent a=\"1\" a=\"2\"/>",
         "meta-data line 1: the same attribute twice in one tag"},
        {"<resource-agent 1a=\"1\"/>", "meta-data line 1: a bad attribute name"},
        {"<resource-agent", "meta-data line 1: a tag that does not end"},
        {"< resource-agent/>", "meta-data line 1: '<' that starts no tag: write &lt;"},
        {"<resource-agent></ resource-agent>", "meta-data line 1: a bad end tag"},
        {"<resource-agent></resource-agent", "meta-data line 1: an end tag without '>'"},
        {"<!-- no end <resource-agent/>", "meta-data line 1: a comment that does not end"},
        {"<?xml <resource-agent/>", "meta-data line 1: a processing instruction that does not end"},
        {"<!DOCTYPE x [ <resource-agent/>", "meta-data line 1: a <!DOCTYPE that does not end"},
        {"<resource-agent><![CDATA[ x </resource-agent>",
         "meta-data line 1: a CDATA section that does not end"},
        {"<!ELEMENT x ANY><resource-agent/>", "meta-data line 1: unknown markup '<!'"},
        {"<resource-agent><parameters><parameter/></parameters></resource-agent>",
         "meta-data line 1: a <parameter> without a name"},
        {"<resource-agent><parameters>\n<parameter name=\"a\"/>\n<parameter name=\"a\"/>"
         "</parameters></resource-agent>",
         "meta-data line 3: parameter 'a' is described twice"},
        {"<resource-agent><parameters><parameter name=\"a-b\"/></parameters></resource-agent>",
         "meta-data line 1: parameter name 'a-b' cannot be passed as OCF_RESKEY_a-b: letters, "
         "digits and '_' only"},
        {"<resource-agent><parameters><parameter name=\"a\" required=\"maybe\"/></parameters>"
         "</resource-agent>",
         "meta-data line 1: parameter 'a': required=\"maybe\" is neither 1 nor 0"},
        {"<resource-agent><actions><action timeout=\"1s\"/></actions></resource-agent>",
         "meta-data line 1: an <action> without a name"},
        {"<resource-agent><actions>\n<action name=\"stop\" timeout=\"20 parsecs\"/></actions>"
         "</resource-agent>",
         "meta-data line 2: action 'stop': timeout=\"20 parsecs\" is not a duration (a number "
         "with an optional unit: 20s, 90, 2min, 500ms)"},
        {"<resource-agent><actions>\n<action name=\"monitor\" interval=\"often\"/></actions>"
         "</resource-agent>",
         "meta-data line 2: action 'monitor': interval=\"often\" is not a duration (a number "
         "with an optional unit: 20s, 90, 2min, 500ms)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        parse_bad(cases[i].xml, cases[i].err);
}

/* Limits: nesting depth, attributes per tag, parameters, name length, NUL. */
static void test_limits(void **state)
{
    char doc[16384], err[AGENT_ERR_MAX], name[AGENT_NAME_MAX + 8];
    struct agent_ocf_meta m;
    size_t n = 0;

    n += (size_t)snprintf(doc + n, sizeof(doc) - n, "<resource-agent>");
    for (int i = 1; i < AGENT_OCF_META_DEPTH_MAX; i++)
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "<a>");
    n += (size_t)snprintf(doc + n, sizeof(doc) - n, "<too-deep/>");
    assert_int_equal(agent_ocf_meta_parse(doc, n, &m, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "meta-data line 1: elements nested more than 32 deep");

    n = (size_t)snprintf(doc, sizeof(doc), "<resource-agent");
    for (int i = 0; i <= XML_ATTRS_MAX; i++)
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, " a%d=\"\"", i);
    n += (size_t)snprintf(doc + n, sizeof(doc) - n, "/>");
    assert_int_equal(agent_ocf_meta_parse(doc, n, &m, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "meta-data line 1: too many attributes in one tag");

    n = (size_t)snprintf(doc, sizeof(doc), "<resource-agent><parameters>");
    for (int i = 0; i <= AGENT_OCF_META_PARAMS_MAX; i++)
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "<parameter name=\"p%d\"/>", i);
    n += (size_t)snprintf(doc + n, sizeof(doc) - n, "</parameters></resource-agent>");
    assert_true(n < sizeof(doc) - 1);
    assert_int_equal(agent_ocf_meta_parse(doc, n, &m, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "meta-data line 1: more than 256 parameters");
    /* one fewer is fine */
    n = (size_t)(strstr(doc, "<parameter name=\"p256\"/>") - doc);
    n += (size_t)snprintf(doc + n, sizeof(doc) - n, "</parameters></resource-agent>");
    assert_int_equal(agent_ocf_meta_parse(doc, n, &m, err, sizeof(err)), 0);
    assert_int_equal(m.n_params, AGENT_OCF_META_PARAMS_MAX);
    assert_string_equal(m.params[255].name, "p255");
    agent_ocf_meta_free(&m);

    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    n = (size_t)snprintf(doc, sizeof(doc),
                         "<resource-agent><parameters><parameter name=\"%s\"/></parameters>"
                         "</resource-agent>",
                         name);
    assert_int_equal(agent_ocf_meta_parse(doc, n, &m, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "meta-data line 1: a parameter name longer than 63 characters");

    memcpy(doc, "<resource-agent>\0</resource-agent>", 34);
    assert_int_equal(agent_ocf_meta_parse(doc, 34, &m, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "meta-data line 1: a NUL byte");
    assert_int_equal(agent_ocf_meta_parse(NULL, 0, &m, err, sizeof(err)), -EINVAL);
    assert_int_equal(agent_ocf_meta_parse(NULL, 5, &m, err, sizeof(err)), -EINVAL);
}

/* Every prefix of a good document is refused (output cut short), except
 * those that end after the root element closed. */
static void test_truncations(void **state)
{
    const char *end = strstr(good, "</resource-agent>") + strlen("</resource-agent>");
    struct agent_ocf_meta m;
    char err[AGENT_ERR_MAX];

    for (size_t n = 0; n < sizeof(good) - 1; n++) {
        int r = agent_ocf_meta_parse(good, n, &m, err, sizeof(err));

        if (good + n >= end) {
            assert_int_equal(r, 0);
            agent_ocf_meta_free(&m);
        } else if (r != -EINVAL) {
            fail_msg("a cut after %zu bytes was accepted", n);
        }
    }
}

/* A few thousand random byte changes: 0 or -EINVAL, never a crash (the
 * sanitizer build checks the memory side). */
static void test_mutations(void **state)
{
    unsigned long seed = 12345;
    static const char alphabet[] = "<>/=\"'&;#x![]-? \nCDATA0a";
    char doc[sizeof(good)], err[AGENT_ERR_MAX];
    struct agent_ocf_meta m;

    for (int round = 0; round < 4000; round++) {
        memcpy(doc, good, sizeof(good));
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            doc[(seed >> 33) % (sizeof(good) - 1)] =
                alphabet[(seed >> 17) % (sizeof(alphabet) - 1)];
        }
        int r = agent_ocf_meta_parse(doc, sizeof(good) - 1, &m, err, sizeof(err));

        assert_true(r == 0 || r == -EINVAL);
        if (r == 0)
            agent_ocf_meta_free(&m);
        else
            assert_int_equal(strncmp(err, "meta-data", 9), 0);
    }
}

/* The scanner's decoder on its own: references, blanks, cuts. */
static void test_decode(void **state)
{
    char out[8];

    assert_true(xml_decode("a&amp;b", 7, false, out, sizeof(out)));
    assert_string_equal(out, "a&b");
    assert_true(xml_decode("a&amp;b", 7, true, out, sizeof(out)));
    assert_string_equal(out, "a&amp;b");
    assert_true(xml_decode("\t\r\n&#65;", 8, false, out, sizeof(out)));
    assert_string_equal(out, "   A");
    assert_false(xml_decode("abcdefghij", 10, false, out, sizeof(out)));
    assert_string_equal(out, "abcdefg");
    assert_false(xml_decode("abcdef&#x263A;", 14, false, out, sizeof(out)));
    assert_string_equal(out, "abcdef"); /* a 3-byte character does not fit in 1 */
    assert_false(xml_decode("abcde\xc3\xa9\xc3\xa9", 9, false, out, sizeof(out)));
    assert_string_equal(out, "abcde"); /* never half a character */
}

/* ---- agent_ocf_check_params ---- */

static void test_check_params(void **state)
{
    struct agent_param ok[] = {{"ip", "192.0.2.1"}, {"nic", "eth0"}};
    struct agent_param typo[] = {{"ip", "192.0.2.1"}, {"nick", "eth0"}};
    struct agent_param twice[] = {{"ip", "192.0.2.1"}, {"ip", "192.0.2.2"}};
    struct agent_param bad[] = {{"cidr-netmask", "24"}};
    struct agent_ocf o;
    struct agent_ocf_meta m, none;
    char err[AGENT_ERR_MAX];
    const char *where = "/etc/vigil/vigil.conf:31 [resource \"web/vip\"]";

    parse_ok(good, &m);
    assert_int_equal(agent_ocf_parse("ocf:heartbeat:IPaddr2", &o, err, sizeof(err)), 0);
    o.params = ok;
    o.n_params = 2;
    assert_int_equal(agent_ocf_check_params(&o, &m, where, 0, err, sizeof(err)), 0);

    o.n_params = 0;
    assert_int_equal(agent_ocf_check_params(&o, &m, where, 0, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "/etc/vigil/vigil.conf:31 [resource \"web/vip\"]: ocf:heartbeat:"
                             "IPaddr2 requires parameter 'ip' (IPv4 or IPv6 address), which is "
                             "not set: add it");

    o.params = typo;
    o.n_params = 2;
    assert_int_equal(agent_ocf_check_params(&o, &m, where, 0, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "/etc/vigil/vigil.conf:31 [resource \"web/vip\"]: ocf:heartbeat:"
                             "IPaddr2 has no parameter 'nick' (its parameters: ip, nic, "
                             "cidr_netmask): fix the name or remove it");
    assert_int_equal(
        agent_ocf_check_params(&o, &m, where, AGENT_CHECK_ALLOW_UNKNOWN, err, sizeof(err)), 0);

    o.params = twice;
    assert_int_equal(agent_ocf_check_params(&o, &m, NULL, 0, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "resource: parameter 'ip' of ocf:heartbeat:IPaddr2 is set twice: "
                             "keep one");

    o.params = bad;
    o.n_params = 1;
    assert_int_equal(
        agent_ocf_check_params(&o, &m, where, AGENT_CHECK_ALLOW_UNKNOWN, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "parameter 'cidr-netmask' of ocf:heartbeat:IPaddr2 is not a "
                                "valid name"));
    agent_ocf_meta_free(&m);

    /* a required parameter without a description; an agent without any */
    {
        char *doc = wrap("<parameters><parameter name=\"a\" required=\"1\"/></parameters>");

        parse_ok(doc, &m);
        free(doc);
    }
    o.n_params = 0;
    assert_int_equal(agent_ocf_check_params(&o, &m, "here", 0, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "here: ocf:heartbeat:IPaddr2 requires parameter 'a', which is not "
                             "set: add it");
    agent_ocf_meta_free(&m);
    parse_ok("<resource-agent/>", &none);
    o.params = ok;
    o.n_params = 1;
    assert_int_equal(agent_ocf_check_params(&o, &none, "here", 0, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "here: ocf:heartbeat:IPaddr2 has no parameter 'ip' (its parameters: "
                             "none): fix the name or remove it");
    agent_ocf_meta_free(&none);
}

/* The list of parameters in a message is cut, not overflowed. */
static void test_check_params_long_list(void **state)
{
    char body[8192], err[AGENT_ERR_MAX];
    struct agent_param typo[] = {{"zzz", "1"}};
    struct agent_ocf o;
    struct agent_ocf_meta m;
    size_t n = 0;
    char *doc;

    n += (size_t)snprintf(body + n, sizeof(body) - n, "<parameters>");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "<parameter name=\"parameter_%d\"/>", i);
    snprintf(body + n, sizeof(body) - n, "</parameters>");
    doc = wrap(body);
    parse_ok(doc, &m);
    free(doc);
    assert_int_equal(agent_ocf_parse("ocf:x:y", &o, err, sizeof(err)), 0);
    o.params = typo;
    o.n_params = 1;
    assert_int_equal(agent_ocf_check_params(&o, &m, "here", 0, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "(its parameters: parameter_0, parameter_1, "));
    assert_non_null(strstr(err, ", ...): fix the name or remove it"));
    agent_ocf_meta_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),         cmocka_unit_test(test_constructs),
        cmocka_unit_test(test_monitors),     cmocka_unit_test(test_durations),
        cmocka_unit_test(test_cut),          cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),       cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_mutations),    cmocka_unit_test(test_decode),
        cmocka_unit_test(test_check_params), cmocka_unit_test(test_check_params_long_list),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
