/* conf_sanity.c - what conf_load() cannot see (conf_sanity.h).
 *
 * Invariants: the struct is only read; the file is read again only for
 * the line numbers (through the same pre-scan as conf_load, so a file it
 * accepted parses again); values shown go through conf_quote(), as in
 * conf_load's messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_int.h"
#include "conf_sanity.h"
#include "util.h"

struct sanity {
	const struct tq_conf *c;
	config_t cfg;
	bool have_cfg;
	conf_sanity_fn fn;
	void *arg;
	int errors;
};

/* The file's text again, for libconfig; false if it cannot be had. */
static bool reparse(struct sanity *x, const char *text)
{
	char *buf = NULL, *wide, err[256];
	size_t len = 0;
	FILE *f;

	if (!text) {
		f = fopen(x->c->path, "re");
		if (!f)
			return false;
		buf = xmalloc(TQ_CONF_MAX_BYTES + 1);
		len = fread(buf, 1, TQ_CONF_MAX_BYTES, f);
		fclose(f);
		buf[len] = '\0';
		text = buf;
	} else {
		len = strlen(text);
	}
	wide = conf_lex(text, len, x->c->path, err, sizeof(err));
	free(buf);
	if (!wide)
		return false;
	config_init(&x->cfg);
	x->have_cfg = config_read_string(&x->cfg, wide) == CONFIG_TRUE;
	free(wide);
	if (!x->have_cfg)
		config_destroy(&x->cfg);
	return x->have_cfg;
}

/* Report one finding about setting path (element i of a list, or -1). */
__attribute__((format(printf, 5, 6)))
static void say(struct sanity *x, unsigned flags, const char *path, int i,
		const char *fmt, ...)
{
	char msg[640], where[80], out[1024];
	const config_setting_t *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (i >= 0)
		snprintf(where, sizeof(where), "%s[%d]", path, i);
	else
		snprintf(where, sizeof(where), "%s", path);
	if (x->have_cfg) {
		s = config_lookup(&x->cfg, path);
		if (s && i >= 0)
			s = config_setting_get_elem(s, (unsigned)i);
	}
	if (s)
		snprintf(out, sizeof(out), "%s:%d: %s: %s", x->c->path,
			 config_setting_source_line(s), where, msg);
	else
		snprintf(out, sizeof(out), "%s: %s: %s", x->c->path, where,
			 msg);
	x->fn(x->arg, flags, out);
	x->errors += (flags & CONF_SANITY_ERROR) != 0;
}

bool conf_ifname_match(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return strncmp(pattern, name, n - 1) == 0;
	return strcmp(pattern, name) == 0;
}

/* Some interface name matches both a and b. */
static bool ifnames_overlap(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	bool wa = na && a[na - 1] == '*', wb = nb && b[nb - 1] == '*';

	if (wa && wb)
		return strncmp(a, b, (na < nb ? na : nb) - 1) == 0;
	if (wa)
		return conf_ifname_match(a, b);
	return conf_ifname_match(b, a);
}

/* An interface on both sides: the forward chain's LAN -> WAN rules would
 * match traffic that never leaves the LAN. */
static void check_sides(struct sanity *x)
{
	const struct tq_conf *c = x->c;
	char q[48], q2[48], as[56];
	size_t i, j;

	for (i = 0; i < c->n_wan; i++)
		for (j = 0; j < c->n_lan; j++) {
			if (!ifnames_overlap(c->wan[i], c->lan[j]))
				continue;
			as[0] = '\0';
			if (strcmp(c->wan[i], c->lan[j]))
				snprintf(as, sizeof(as), " (as %s)",
					 conf_quote(c->lan[j], q2, sizeof(q2)));
			say(x, CONF_SANITY_ERROR | CONF_SANITY_DAEMON,
			    "network.wan", (int)i, "%s is also in "
			    "network.lan%s; an interface is the LAN's (the "
			    "users' side, lan) or the Internet's (wan), never "
			    "both: name each in one list",
			    conf_quote(c->wan[i], q, sizeof(q)), as);
			break;
		}
}

/* How much of the Internet n covers, as k for a share of 1/2^k; -1 if
 * not much (an IPv4 network of /8 or longer, or within 224.0.0.0/3; an
 * IPv6 one of /16 or longer, or outside 2000::/3, the global unicast
 * addresses). */
static int internet_share(const struct tq_cidr *n)
{
	const uint8_t *b = n->addr.a;
	unsigned p = n->prefix;

	if (n->addr.family == AF_INET) {
		if (p >= 8 || (p >= 3 && (b[0] & 0xe0) == 0xe0))
			return -1;
		return (int)p;
	}
	if (p >= 16)
		return -1;
	if (p >= 3)
		return (b[0] & 0xe0) == 0x20 ? (int)p - 3 : -1;
	/* shorter than 2000::/3: it holds all of it, or none */
	return ((b[0] ^ 0x20) & (0xff00u >> p) & 0xff) ? -1 : 0;
}

static void check_local_networks(struct sanity *x)
{
	const struct tq_conf *c = x->c;
	char net[TQ_ADDRSTRLEN + 4], share[32];
	size_t i;
	int k;

	for (i = 0; i < c->n_local_networks; i++) {
		const struct tq_cidr *n = &c->local_networks[i];
		bool v4 = n->addr.family == AF_INET;

		k = internet_share(n);
		if (k < 0)
			continue;
		if (k <= 2)
			snprintf(share, sizeof(share), "%s", k == 0 ?
				 "the whole" : k == 1 ? "half of the" :
				 "a quarter of the");
		else
			snprintf(share, sizeof(share), "1/%llu of the",
				 1ull << k);
		say(x, CONF_SANITY_ERROR | CONF_SANITY_DAEMON,
		    "network.local_networks", (int)i, "\"%s\" "
		    "covers %s %s Internet, so traffic to it is never "
		    "charged; list only the networks of your own site, e.g. "
		    "\"%s\"", cidr_format(n, net, sizeof(net)), share,
		    v4 ? "IPv4" : "IPv6", v4 ? "192.168.0.0/16" : "fd00::/8");
	}
}

static bool group_exists(const char *name)
{
	struct group gr, *res = NULL;
	char buf[16384];

	return getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 && res;
}

static void check_groups(struct sanity *x)
{
	const struct tq_conf *c = x->c;
	char q[48];

	if (!group_exists(c->admin_group))
		say(x, 0, "quota.admin_group", -1, "group %s does not "
		    "exist; only root can use the admin commands of tcpquota "
		    "and openfw: create it (tcpquota-setup-db does) or name "
		    "an existing group", conf_quote(c->admin_group, q,
						    sizeof(q)));
	if (!group_exists(c->tools_group))
		say(x, 0, "daemon.tools_group", -1, "group %s does "
		    "not exist; the setgid tools cannot read their database "
		    "password and the wake-up socket is open to everyone: "
		    "create it (tcpquota-setup-db does) or name the tools' "
		    "group", conf_quote(c->tools_group, q, sizeof(q)));
}

/* A path quoted whole (conf_quote cuts at 40), control characters shown
 * as '?'; buf >= 8. */
static const char *quote_path(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	buf[i++] = '"';
	for (; *s && i < len - 5; s++)
		buf[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	if (*s) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i++] = '"';
	buf[i] = '\0';
	return buf;
}

/* Why the password file path cannot serve (as db.c reads it: the first
 * line, without its line end, not empty), or NULL. */
static const char *password_problem(const char *path)
{
	char line[16];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return strerror(errno);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return "not a regular file";
	}
	n = read(fd, line, sizeof(line));
	close(fd);
	if (n < 0)
		return strerror(errno);
	if (n == 0 || line[0] == '\n' ||
	    (n >= 2 && line[0] == '\r' && line[1] == '\n'))
		return "empty";
	return NULL;
}

static void check_passwords(struct sanity *x)
{
	static const struct {
		const char *key;
		size_t off;
		const char *who;
		unsigned flags;
	} f[] = {
		{ "database.password_file",
		  offsetof(struct tq_conf, db_password_file),
		  "the daemon cannot log in to the database (it runs on and "
		  "holds its debits until it can)", CONF_SANITY_DAEMON },
		{ "database.tool_password_file",
		  offsetof(struct tq_conf, db_tool_password_file),
		  "openhost and the users' commands cannot log in to the "
		  "database", 0 },
		{ "database.admin_password_file",
		  offsetof(struct tq_conf, db_admin_password_file),
		  "the admin commands cannot log in to the database", 0 },
	};
	const char *path, *why;
	char q[256];
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		path = *(char *const *)((const char *)x->c + f[i].off);
		if (!path || !*path)
			continue;	/* no password */
		why = password_problem(path);
		if (why)
			say(x, f[i].flags, f[i].key, -1, "%s: %s; %s: run "
			    "tcpquota-setup-db, or name the file it wrote",
			    quote_path(path, q, sizeof(q)), why, f[i].who);
	}
}

int conf_sanity(const struct tq_conf *c, const char *text, conf_sanity_fn fn,
		void *arg)
{
	struct sanity x = { .c = c, .fn = fn, .arg = arg };

	reparse(&x, text);
	check_sides(&x);
	check_local_networks(&x);
	check_groups(&x);
	check_passwords(&x);
	if (x.have_cfg)
		config_destroy(&x.cfg);
	return x.errors;
}
