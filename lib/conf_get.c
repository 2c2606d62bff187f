/* conf_get.c - typed readers of one libconfig setting, and their messages.
 *
 * conf_get_*() checks a setting's type, range, length or count and its
 * validator (conf_check.c), then stores the value; on failure it writes
 * one message "FILE:LINE: SETTING: what is wrong; what to do" through
 * conf_perr() and returns -1 with the output untouched.  A value shown in
 * a message goes through conf_quote() (cut, control characters masked),
 * so a hostile file cannot forge log lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "util.h"

__attribute__((format(printf, 4, 5)))
int conf_perr(struct conf_parser *p, const config_setting_t *s,
	      const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tq_err(p->err, p->errlen, "%s:%u: %s: %s", p->name,
		      s ? (unsigned)config_setting_source_line(s) : 0u, path,
		      msg);
}

/* Build a setting's path for messages ("rates.tariffs[1].rate"); a name
 * too long for the buffer is cut, which is harmless in a message. */
__attribute__((format(printf, 3, 4)))
void conf_spath(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Quote a value for a message: at most 40 characters, control characters
 * shown as '?', so a hostile file cannot forge log lines. */
const char *conf_quote(const char *s, char *buf, size_t len)
{
	size_t i = 0, max = len > 46 ? 40 : (len > 6 ? len - 6 : 0);

	if (!len)
		return buf;
	if (len < 6) {
		buf[0] = '\0';
		return buf;
	}
	buf[i++] = '"';
	for (; *s && i - 1 < max; s++)
		buf[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	if (*s) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i++] = '"';
	buf[i] = '\0';
	return buf;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a floating-point number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	}
	return "of an unknown type";
}

int conf_wrong_type(struct conf_parser *p, const config_setting_t *s,
		    const char *path, const char *want)
{
	return conf_perr(p, s, path, "is %s; use %s",
			 type_name(config_setting_type(s)), want);
}

int conf_get_int(struct conf_parser *p, const config_setting_t *s,
		 const char *path, long long min, long long max,
		 long long *out)
{
	long long v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		break;
	default:
		return conf_perr(p, s, path, "is %s; use an integer in "
				 "%lld..%lld",
				 type_name(config_setting_type(s)), min, max);
	}
	if (v < min || v > max)
		return conf_perr(p, s, path, "%lld is out of range; use "
				 "%lld..%lld", v, min, max);
	*out = v;
	return 0;
}

int conf_get_double(struct conf_parser *p, const config_setting_t *s,
		    const char *path, double min, double max, double *out)
{
	double v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		return conf_perr(p, s, path, "is %s; use a number in "
				 "%.15g..%.15g",
				 type_name(config_setting_type(s)), min, max);
	}
	if (!(v >= min && v <= max))
		return conf_perr(p, s, path, "%.15g is out of range; use "
				 "%.15g..%.15g",
				 v, min, max);
	*out = v;
	return 0;
}

int conf_get_bool(struct conf_parser *p, const config_setting_t *s,
		  const char *path, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_wrong_type(p, s, path, "true or false");
	*out = config_setting_get_bool(s);
	return 0;
}

/* A string value, checked for length and by check (may be NULL). */
int conf_get_str(struct conf_parser *p, const config_setting_t *s,
		 const char *path, conf_check_fn check, const char **out)
{
	char q[64];
	const char *v, *why;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_wrong_type(p, s, path, "a string in double quotes");
	v = config_setting_get_string(s);
	if (!v)
		v = "";
	if (strlen(v) > TQ_CONF_MAX_STRING)
		return conf_perr(p, s, path, "is longer than %d characters; "
				 "shorten it", TQ_CONF_MAX_STRING);
	if (check && (why = check(v)))
		return conf_perr(p, s, path, "%s %s",
				 conf_quote(v, q, sizeof(q)), why);
	*out = v;
	return 0;
}

/* The elements of an array or list, checked for count. */
int conf_get_list(struct conf_parser *p, const config_setting_t *s,
		  const char *path, int min, const char *what, int *n)
{
	int type = config_setting_type(s);

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return conf_perr(p, s, path, "is %s; use an array [ %s, ... ]",
				 type_name(type), what);
	*n = config_setting_length(s);
	if (*n > TQ_CONF_MAX_LIST)
		return conf_perr(p, s, path, "has %d entries; use at most %d",
				 *n, TQ_CONF_MAX_LIST);
	if (*n < min)
		return conf_perr(p, s, path, "is empty; list at least one %s",
				 what);
	return 0;
}

int conf_get_strlist(struct conf_parser *p, const config_setting_t *s,
		     const char *path, int min, const char *what,
		     conf_check_fn check, char ***out, size_t *nout)
{
	char epath[128];
	const char *v;
	char **list;
	int i, n;

	if (conf_get_list(p, s, path, min, what, &n) < 0)
		return -1;
	list = xcalloc((size_t)n + 1, sizeof(*list));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		conf_spath(epath, sizeof(epath), "%s[%d]", path, i);
		if (conf_get_str(p, e, epath, check, &v) < 0) {
			conf_strv_free(list, (size_t)i);
			return -1;
		}
		list[i] = xstrdup(v);
	}
	conf_strv_free(*out, *nout);
	*out = list;
	*nout = (size_t)n;
	return 0;
}

int conf_get_cidrlist(struct conf_parser *p, const config_setting_t *s,
		      const char *path, struct tq_cidr **out, size_t *nout)
{
	char epath[128], q[64];
	struct tq_cidr *nets;
	const char *v;
	int i, n;

	if (conf_get_list(p, s, path, 0, "\"198.18.0.0/15\"", &n) < 0)
		return -1;
	nets = xcalloc((size_t)n + 1, sizeof(*nets));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		conf_spath(epath, sizeof(epath), "%s[%d]", path, i);
		if (conf_get_str(p, e, epath, NULL, &v) < 0)
			goto err;
		if (cidr_parse(v, &nets[i]) < 0) {
			conf_perr(p, e, epath, "%s is not a network; use "
				  "ADDRESS/PREFIX with the host bits zero, "
				  "e.g. \"192.168.0.0/16\" or \"fd00::/8\"",
				  conf_quote(v, q, sizeof(q)));
			goto err;
		}
	}
	free(*out);
	*out = nets;
	*nout = (size_t)n;
	return 0;
err:
	free(nets);
	return -1;
}

int conf_get_days(struct conf_parser *p, const config_setting_t *s,
		  const char *path, unsigned *out)
{
	const char *v;
	char q[64];

	if (conf_get_str(p, s, path, NULL, &v) < 0)
		return -1;
	if (conf_parse_days(v, out) < 0)
		return conf_perr(p, s, path, "%s is not a list of days; use "
				 "e.g. \"mon-fri\", \"sat,sun\", \"fri-mon\" "
				 "or \"daily\"", conf_quote(v, q, sizeof(q)));
	return 0;
}

int conf_get_hhmm(struct conf_parser *p, const config_setting_t *s,
		  const char *path, int *out)
{
	const char *v;
	char q[64];

	if (conf_get_str(p, s, path, NULL, &v) < 0)
		return -1;
	if (conf_parse_hhmm(v, out) < 0)
		return conf_perr(p, s, path, "%s is not a time; use "
				 "\"HH:MM\" in 00:00..24:00, e.g. \"08:00\"",
				 conf_quote(v, q, sizeof(q)));
	return 0;
}
