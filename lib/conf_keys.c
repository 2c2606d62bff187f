/* conf_keys.c - which sections and settings exist, and the walk that
 * stores what libconfig found into a struct tq_conf.
 *
 * The simple settings are rows of one table per section (name, type,
 * field, range, validator); free_access, rates.tariffs and groups have
 * readers of their own.  The walk visits every setting libconfig found
 * rather than looking up the ones we expect: that is what catches typos,
 * each unknown name being an error that lists the known ones.  On failure
 * the struct is left half-filled for the caller to free.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "util.h"

enum kind {
	K_INT,			/* int field */
	K_INT64,		/* long long field */
	K_UINT,			/* unsigned field */
	K_BOOL,
	K_DOUBLE,
	K_STR,			/* char * field */
	K_STRLIST,		/* char ** field + size_t count at off_n */
	K_CIDRLIST,		/* struct tq_cidr * + size_t count at off_n */
	K_SPECIAL,		/* handled by the section's own code */
};

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	size_t off_n;
	long long min, max;	/* K_INT*, K_UINT; list minimum count */
	double dmin, dmax;	/* K_DOUBLE */
	conf_check_fn check;	/* K_STR, K_STRLIST */
	const char *what;	/* K_STRLIST: what an element is */
};

#define OFF(f) offsetof(struct tq_conf, f)
#define INT(n, f, lo, hi) { n, K_INT, OFF(f), 0, lo, hi, 0, 0, NULL, NULL }
#define STR(n, f, chk) { n, K_STR, OFF(f), 0, 0, 0, 0, 0, chk, NULL }
#define BOOL(n, f) { n, K_BOOL, OFF(f), 0, 0, 0, 0, 0, NULL, NULL }
#define STRLIST(n, f, min, chk, what) \
	{ n, K_STRLIST, OFF(f), OFF(n_##f), min, 0, 0, 0, chk, what }
#define SPECIAL(n) { n, K_SPECIAL, 0, 0, 0, 0, 0, 0, NULL, NULL }

static const struct key daemon_keys[] = {
	INT("period", period, 1, 3600),
	INT("heartbeat_tics", heartbeat_tics, 1, 1000000),
	STR("gateway", gateway, conf_check_gateway),
	STR("pidfile", pidfile, conf_check_path),
	STR("logfile", logfile, conf_check_logfile),
	STR("journal", journal, conf_check_path),
	STR("wakeup", wakeup, conf_check_socket_or_empty),
	STR("tools_group", tools_group, conf_check_username),
	{ .name = NULL }
};

static const struct key database_keys[] = {
	STR("socket", db_socket, conf_check_socket_or_empty),
	STR("host", db_host, conf_check_host),
	INT("port", db_port, 1, 65535),
	STR("name", db_name, conf_check_dbname),
	STR("user", db_user, conf_check_dbuser),
	STR("password_file", db_password_file, conf_check_path_or_empty),
	INT("timeout", db_timeout, 1, 300),
	STR("tool_user", db_tool_user, conf_check_dbuser),
	STR("tool_password_file", db_tool_password_file,
	    conf_check_path_or_empty),
	STR("admin_user", db_admin_user, conf_check_dbuser),
	STR("admin_password_file", db_admin_password_file,
	    conf_check_path_or_empty),
	{ .name = NULL }
};

static const struct key network_keys[] = {
	STRLIST("lan", lan, 1, conf_check_ifname, "interface, e.g. \"eth1\""),
	STRLIST("wan", wan, 1, conf_check_ifname, "interface, e.g. \"eth0\""),
	{ "local_networks", K_CIDRLIST, OFF(local_networks),
	  OFF(n_local_networks), 0, 0, 0, 0, NULL, NULL },
	STR("link", link, conf_check_link),
	STR("table", table, conf_check_table),
	BOOL("check_local", check_local),
	BOOL("check_masq", check_masq),
	INT("conntrack_resync", conntrack_resync, 0, 1000000),
	BOOL("bind_mac", bind_mac),
	{ .name = NULL }
};

static const struct key quota_keys[] = {
	{ "min_quota", K_INT64, OFF(min_quota), 0, LLONG_MIN, LLONG_MAX,
	  0, 0, NULL, NULL },
	{ "min_uid", K_UINT, OFF(min_uid), 0, 0, 4294967294LL,
	  0, 0, NULL, NULL },
	STRLIST("free_users", free_users, 1, conf_check_username,
		"user name, e.g. \"free\""),
	BOOL("kill_processes", kill_processes),
	STR("admin_group", admin_group, conf_check_username),
	STR("message_file", message_file, conf_check_path_or_empty),
	{ .name = NULL }
};

static const struct key rates_keys[] = {
	{ "default", K_DOUBLE, OFF(default_rate), 0, 0, 0, 0, 1000,
	  NULL, NULL },
	STR("money_unit", money_unit, conf_check_unit),
	{ "money_per_minute", K_DOUBLE, OFF(money_per_minute), 0, 0, 0,
	  0, 1000000, NULL, NULL },
	SPECIAL("tariffs"),
	{ .name = NULL }
};

static const struct key portal_keys[] = {
	STRLIST("listen", portal_listen, 0, conf_check_address,
		"address, e.g. \"192.168.1.1\""),
	INT("port", portal_port, 0, 65535),
	INT("redirect_port", portal_redirect_port, 0, 65535),
	STR("cert", portal_cert, conf_check_path_or_empty),
	STR("key", portal_key, conf_check_path_or_empty),
	STR("url", portal_url, conf_check_url_or_empty),
	STR("user", portal_user, conf_check_username),
	STR("logfile", portal_logfile, conf_check_logfile),
	STR("pam_service", portal_pam_service, conf_check_service),
	INT("warn_seconds", portal_warn_seconds, 0, 86400 * 365),
	INT("idle_timeout", portal_idle_timeout, 10, 86400 * 31),
	INT("session_timeout", portal_session_timeout, 60, 86400 * 31),
	INT("max_connections", portal_max_connections, 1, 65536),
	INT("per_address", portal_per_address, 1, 65536),
	INT("login_rate", portal_login_rate, 1, 1000),
	INT("db_connections", portal_db_connections, 1, 64),
	{ .name = NULL }
};

static const struct key window_keys[] = {
	SPECIAL("days"),
	SPECIAL("from"),
	SPECIAL("to"),
	{ .name = NULL }
};

static const struct key tariff_keys[] = {
	SPECIAL("days"),
	SPECIAL("from"),
	SPECIAL("to"),
	SPECIAL("rate"),
	{ .name = NULL }
};

static const struct key *find_key(const struct key *keys, const char *name)
{
	for (; keys->name; keys++)
		if (!strcmp(keys->name, name))
			return keys;
	return NULL;
}

/* "a, b, c": the names of keys, for messages. */
static const char *known_keys(const struct key *keys, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; keys->name && n < len; keys++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
				      n ? ", " : "", keys->name);
	return buf;
}

static int unknown_key(struct conf_parser *p, const config_setting_t *s,
		       const char *path, const struct key *keys)
{
	char known[512];

	return conf_perr(p, s, path, "unknown setting; check the spelling "
			 "(known here: %s)", known_keys(keys, known,
							sizeof(known)));
}

/* The group s must be a group; each child a known key. */
static int check_group(struct conf_parser *p, const config_setting_t *s,
		       const char *path)
{
	if (!config_setting_is_group(s))
		return conf_wrong_type(p, s, path, "a group { ... }");
	if (config_setting_length(s) > TQ_CONF_MAX_LIST)
		return conf_perr(p, s, path, "has %d settings; use at most %d",
				 config_setting_length(s), TQ_CONF_MAX_LIST);
	return 0;
}

static void set_str(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

static int apply_key(struct conf_parser *p, const struct key *k,
		     const config_setting_t *s, const char *path)
{
	char *base = (char *)p->c;
	long long ll;
	double d;
	bool b = false;
	const char *v;

	switch (k->kind) {
	case K_INT:
		if (conf_get_int(p, s, path, k->min, k->max, &ll) < 0)
			return -1;
		*(int *)(base + k->off) = (int)ll;
		return 0;
	case K_INT64:
		if (conf_get_int(p, s, path, k->min, k->max, &ll) < 0)
			return -1;
		*(long long *)(base + k->off) = ll;
		return 0;
	case K_UINT:
		if (conf_get_int(p, s, path, k->min, k->max, &ll) < 0)
			return -1;
		*(unsigned *)(base + k->off) = (unsigned)ll;
		return 0;
	case K_BOOL:
		if (conf_get_bool(p, s, path, &b) < 0)
			return -1;
		*(bool *)(base + k->off) = b;
		return 0;
	case K_DOUBLE:
		if (conf_get_double(p, s, path, k->dmin, k->dmax, &d) < 0)
			return -1;
		*(double *)(base + k->off) = d;
		return 0;
	case K_STR:
		if (conf_get_str(p, s, path, k->check, &v) < 0)
			return -1;
		set_str((char **)(base + k->off), v);
		return 0;
	case K_STRLIST:
		return conf_get_strlist(p, s, path, (int)k->min, k->what,
					k->check, (char ***)(base + k->off),
					(size_t *)(base + k->off_n));
	case K_CIDRLIST:
		return conf_get_cidrlist(p, s, path,
					 (struct tq_cidr **)(base + k->off),
					 (size_t *)(base + k->off_n));
	case K_SPECIAL:
		break;
	}
	return conf_perr(p, s, path, "internal error: no parser");
}

/* A simple section: every child is in keys and not K_SPECIAL. */
static int parse_section(struct conf_parser *p, const config_setting_t *sec,
			 const char *secname, const struct key *keys,
			 int (*special)(struct conf_parser *,
					const config_setting_t *,
					const char *))
{
	char path[128];
	int i, n;

	if (check_group(p, sec, secname) < 0)
		return -1;
	n = config_setting_length(sec);
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(sec, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct key *k;

		conf_spath(path, sizeof(path), "%s.%s", secname,
			 name ? name : "?");
		k = name ? find_key(keys, name) : NULL;
		if (!k)
			return unknown_key(p, s, path, keys);
		if (k->kind == K_SPECIAL) {
			if (special(p, s, path) < 0)
				return -1;
		} else if (apply_key(p, k, s, path) < 0) {
			return -1;
		}
	}
	return 0;
}

/* days/from/to of a window group; from and to come together. */
static int parse_window(struct conf_parser *p, const config_setting_t *g,
			const char *path, const struct key *keys,
			struct tq_window *w, bool need_rate)
{
	const config_setting_t *from = NULL, *to = NULL, *rate = NULL;
	char kpath[160];
	int i, n;

	if (check_group(p, g, path) < 0)
		return -1;
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);

		conf_spath(kpath, sizeof(kpath), "%s.%s", path,
			 name ? name : "?");
		if (!name || !find_key(keys, name))
			return unknown_key(p, s, kpath, keys);
		if (!strcmp(name, "days")) {
			if (conf_get_days(p, s, kpath, &w->days) < 0)
				return -1;
		} else if (!strcmp(name, "from")) {
			if (conf_get_hhmm(p, s, kpath, &w->from) < 0)
				return -1;
			from = s;
		} else if (!strcmp(name, "to")) {
			if (conf_get_hhmm(p, s, kpath, &w->to) < 0)
				return -1;
			to = s;
		} else if (!strcmp(name, "rate")) {
			if (conf_get_double(p, s, kpath, 0, 1000, &w->rate) < 0)
				return -1;
			rate = s;
		}
	}
	if (from && !to)
		return conf_perr(p, from, path, "\"from\" without \"to\"; give "
				 "both, or neither for the whole day");
	if (to && !from)
		return conf_perr(p, to, path, "\"to\" without \"from\"; give "
				 "both, or neither for the whole day");
	if (need_rate && !rate)
		return conf_perr(p, g, path, "no rate; add e.g. rate = 4;");
	return 0;
}

static int parse_tariffs(struct conf_parser *p, const config_setting_t *s,
			 const char *path)
{
	struct tq_window *t;
	char epath[160];
	int i, n, type = config_setting_type(s);

	/* An empty "[ ]" is an array; a non-empty one cannot hold groups. */
	if (type != CONFIG_TYPE_LIST &&
	    !(type == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0))
		return conf_wrong_type(p, s, path, "a list ( { days = "
				       "\"mon-fri\"; from = \"08:00\"; "
				       "to = \"18:00\"; rate = 4; }, ... )");
	n = config_setting_length(s);
	if (n > TQ_CONF_MAX_LIST)
		return conf_perr(p, s, path, "has %d entries; use at most %d",
				 n, TQ_CONF_MAX_LIST);
	t = xcalloc((size_t)n + 1, sizeof(*t));
	for (i = 0; i < n; i++) {
		conf_spath(epath, sizeof(epath), "%s[%d]", path, i);
		t[i].days = TQ_DAYS_ALL;
		if (parse_window(p, config_setting_get_elem(s, (unsigned)i),
				 epath, tariff_keys, &t[i], true) < 0) {
			free(t);
			return -1;
		}
	}
	free(p->c->tariffs);
	p->c->tariffs = t;
	p->c->n_tariffs = (size_t)n;
	return 0;
}

static int rates_special(struct conf_parser *p, const config_setting_t *s,
			 const char *path)
{
	return parse_tariffs(p, s, path);
}

static int parse_groups(struct conf_parser *p, const config_setting_t *sec)
{
	char path[160], epath[192], q[64];
	struct tq_conf *c = p->c;
	int i, j, n;

	if (check_group(p, sec, "groups") < 0)
		return -1;
	n = config_setting_length(sec);
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(sec, (unsigned)i);
		const char *name = config_setting_name(s);
		struct tq_group *g;
		const char *why;
		int m;

		if (!name)
			name = "";
		conf_spath(path, sizeof(path), "groups.%s", name);
		if ((why = conf_check_groupname(name)))
			return conf_perr(p, s, path, "%s %s",
					 conf_quote(name, q, sizeof(q)), why);
		if (conf_get_list(p, s, path, 0, "\"192.168.1.10\"", &m) < 0)
			return -1;
		c->groups = xrealloc(c->groups,
				     (c->n_groups + 1) * sizeof(*c->groups));
		g = &c->groups[c->n_groups++];
		g->name = xstrdup(name);
		g->members = xcalloc((size_t)m + 1, sizeof(*g->members));
		g->n_members = 0;
		for (j = 0; j < m; j++) {
			config_setting_t *e =
				config_setting_get_elem(s, (unsigned)j);
			struct tq_addr a;
			char buf[TQ_ADDRSTRLEN];
			const char *v;

			conf_spath(epath, sizeof(epath), "%s[%d]", path, j);
			if (conf_get_str(p, e, epath, NULL, &v) < 0)
				return -1;
			if (addr_parse(v, &a) == 0) {
				/* canonical text, as the tools compare it
				 * with masq.host */
				v = addr_format(&a, buf, sizeof(buf));
			} else if (!conf_is_host_name(v)) {
				return conf_perr(p, e, epath, "%s is neither "
						 "an address nor a host name; "
						 "use e.g. \"192.168.1.10\", "
						 "\"2001:db8::10\" or "
						 "\"pc10.lan\"",
						 conf_quote(v, q, sizeof(q)));
			}
			g->members[g->n_members++] = xstrdup(v);
		}
	}
	return 0;
}

static int no_special(struct conf_parser *p, const config_setting_t *s,
		      const char *path)
{
	return conf_perr(p, s, path, "internal error: no parser");
}

/* The portal section: its keys, then cert and key come together. */
static int parse_portal(struct conf_parser *p, const config_setting_t *sec)
{
	const struct tq_conf *c = p->c;

	if (parse_section(p, sec, "portal", portal_keys, no_special) < 0)
		return -1;
	p->c->portal = true;
	if (!*c->portal_cert != !*c->portal_key)
		return conf_perr(p, sec, "portal", "%s without %s; give both "
				 "for HTTPS, or neither for plain HTTP",
				 *c->portal_cert ? "cert" : "key",
				 *c->portal_cert ? "key" : "cert");
	return 0;
}

int conf_parse_root(struct conf_parser *p, const config_setting_t *root)
{
	static const char *const sections =
		"daemon, database, network, quota, rates, free_access, groups, "
		"portal";
	int i, n = config_setting_length(root);

	for (i = 0; i < n; i++) {
		config_setting_t *s =
			config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);
		int rc;

		if (!name)
			name = "?";
		if (!strcmp(name, "daemon"))
			rc = parse_section(p, s, name, daemon_keys, no_special);
		else if (!strcmp(name, "database"))
			rc = parse_section(p, s, name, database_keys,
					   no_special);
		else if (!strcmp(name, "network"))
			rc = parse_section(p, s, name, network_keys,
					   no_special);
		else if (!strcmp(name, "quota"))
			rc = parse_section(p, s, name, quota_keys, no_special);
		else if (!strcmp(name, "rates"))
			rc = parse_section(p, s, name, rates_keys,
					   rates_special);
		else if (!strcmp(name, "free_access"))
			rc = parse_window(p, s, name, window_keys,
					  &p->c->free_access, false);
		else if (!strcmp(name, "groups"))
			rc = parse_groups(p, s);
		else if (!strcmp(name, "portal"))
			rc = parse_portal(p, s);
		else
			rc = conf_perr(p, s, name, "unknown section; check the "
				       "spelling (sections: %s)", sections);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The sections whose settings are rows of a key table, for conf_value(). */
static const struct {
	const char *name;
	const struct key *keys;
} value_sections[] = {
	{ "daemon", daemon_keys },
	{ "database", database_keys },
	{ "network", network_keys },
	{ "quota", quota_keys },
	{ "rates", rates_keys },
	{ "portal", portal_keys },
};

/* Append text to the growing string *out of length *n. */
static void value_add(char **out, size_t *n, const char *text)
{
	size_t len = strlen(text);

	*out = xrealloc(*out, *n + len + 2);
	if (*n)
		(*out)[(*n)++] = '\n';
	memcpy(*out + *n, text, len + 1);
	*n += len;
}

char *conf_value(const struct tq_conf *c, const char *key, char *err,
		 size_t errlen)
{
	const char *base = (const char *)c, *dot = strchr(key, '.');
	char buf[128], known[512];
	const struct key *k = NULL;
	char *out = NULL;
	size_t i, j, n = 0, ns = 0;

	for (i = 0; dot && i < sizeof(value_sections) /
		     sizeof(value_sections[0]); i++) {
		if (strlen(value_sections[i].name) != (size_t)(dot - key) ||
		    strncmp(value_sections[i].name, key, (size_t)(dot - key)))
			continue;
		k = find_key(value_sections[i].keys, dot + 1);
		if (!k) {
			tq_err(err, errlen, "%s: unknown setting; check the "
			       "spelling (known in %s: %s)", key,
			       value_sections[i].name,
			       known_keys(value_sections[i].keys, known,
					  sizeof(known)));
			return NULL;
		}
		break;
	}
	if (!k) {
		tq_err(err, errlen, "%s: unknown setting; use SECTION.NAME, "
		       "e.g. database.name (sections: daemon, database, "
		       "network, quota, rates, portal)", key);
		return NULL;
	}
	switch (k->kind) {
	case K_INT:
		snprintf(buf, sizeof(buf), "%d", *(const int *)(base + k->off));
		break;
	case K_INT64:
		snprintf(buf, sizeof(buf), "%lld",
			 *(const long long *)(base + k->off));
		break;
	case K_UINT:
		snprintf(buf, sizeof(buf), "%u",
			 *(const unsigned *)(base + k->off));
		break;
	case K_BOOL:
		snprintf(buf, sizeof(buf), "%s",
			 *(const bool *)(base + k->off) ? "true" : "false");
		break;
	case K_DOUBLE:
		snprintf(buf, sizeof(buf), "%g",
			 *(const double *)(base + k->off));
		break;
	case K_STR:
		return xstrdup(*(char *const *)(base + k->off));
	case K_STRLIST:
		ns = *(const size_t *)(base + k->off_n);
		for (j = 0; j < ns; j++)
			value_add(&out, &n,
				  (*(char **const *)(base + k->off))[j]);
		return out ? out : xstrdup("");
	case K_CIDRLIST:
		ns = *(const size_t *)(base + k->off_n);
		for (j = 0; j < ns; j++)
			value_add(&out, &n, cidr_format(
				&(*(struct tq_cidr *const *)(base + k->off))[j],
				buf, sizeof(buf)));
		return out ? out : xstrdup("");
	case K_SPECIAL:
		tq_err(err, errlen, "%s: a list of groups, not one value; "
		       "read it in the file", key);
		return NULL;
	}
	return xstrdup(buf);
}
