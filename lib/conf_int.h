/* conf_int.h - what the conf_*.c files share; daemon and tools use conf.h.
 *
 * conf.c         the struct's defaults and free, the run-time queries
 * conf_load.c    file or string -> checks -> conf_lex -> libconfig -> walk
 * conf_lex.c     the pre-scan working around libconfig 1.5
 * conf_keys.c    the sections and settings, and the walk over them
 * conf_get.c     typed readers of one setting, and the error messages
 * conf_check.c   validators of string values
 *
 * Every function that fails writes its message into the parser's (or the
 * caller's) err buffer and returns -1 or NULL; none logs.
 */
#ifndef TQ_CONF_INT_H
#define TQ_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include "conf.h"

/* conf.c */

static inline bool conf_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Free the n strings of v, then v (NULL with n == 0 is fine). */
void conf_strv_free(char **v, size_t n);

/* conf_check.c: NULL if s is acceptable, else "what is wrong; what to do"
 * (a static string) to follow the quoted value in a message. */

typedef const char *(*conf_check_fn)(const char *s);

const char *conf_check_gateway(const char *s);
const char *conf_check_path(const char *s);
const char *conf_check_path_or_empty(const char *s);
const char *conf_check_logfile(const char *s);
const char *conf_check_socket_or_empty(const char *s);
const char *conf_check_host(const char *s);
const char *conf_check_dbname(const char *s);
const char *conf_check_dbuser(const char *s);
const char *conf_check_ifname(const char *s);
const char *conf_check_link(const char *s);
const char *conf_check_table(const char *s);
const char *conf_check_username(const char *s);
const char *conf_check_unit(const char *s);
const char *conf_check_groupname(const char *s);
const char *conf_check_address(const char *s);
const char *conf_check_url_or_empty(const char *s);
const char *conf_check_service(const char *s);
/* A host name, and not a mistyped address such as "192.168.1.300". */
bool conf_is_host_name(const char *s);

/* conf_get.c */

/* One load in progress: where messages go and the struct being filled. */
struct conf_parser {
	const char *name;	/* file name for messages */
	char *err;
	size_t errlen;
	struct tq_conf *c;
};

/* Write "NAME:LINE: PATH: MESSAGE" into p->err; returns -1. */
__attribute__((format(printf, 4, 5)))
int conf_perr(struct conf_parser *p, const config_setting_t *s,
	      const char *path, const char *fmt, ...);
/* snprintf for a setting's path; a name too long is cut. */
__attribute__((format(printf, 3, 4)))
void conf_spath(char *buf, size_t len, const char *fmt, ...);
/* s quoted for a message into buf: cut at 40, controls shown as '?'. */
const char *conf_quote(const char *s, char *buf, size_t len);
/* "is TYPE; use WANT" for a setting of the wrong type; returns -1. */
int conf_wrong_type(struct conf_parser *p, const config_setting_t *s,
		    const char *path, const char *want);

/* The typed readers: 0 with *out set, or -1 with a message and *out
 * untouched. */
int conf_get_int(struct conf_parser *p, const config_setting_t *s,
		 const char *path, long long min, long long max,
		 long long *out);
int conf_get_double(struct conf_parser *p, const config_setting_t *s,
		    const char *path, double min, double max, double *out);
int conf_get_bool(struct conf_parser *p, const config_setting_t *s,
		  const char *path, bool *out);
/* *out points into libconfig's tree: copy it before config_destroy(). */
int conf_get_str(struct conf_parser *p, const config_setting_t *s,
		 const char *path, conf_check_fn check, const char **out);
/* An array or list of at least min entries; what names one in messages. */
int conf_get_list(struct conf_parser *p, const config_setting_t *s,
		  const char *path, int min, const char *what, int *n);
/* Replaces *out (freed) by a new copy of the strings. */
int conf_get_strlist(struct conf_parser *p, const config_setting_t *s,
		     const char *path, int min, const char *what,
		     conf_check_fn check, char ***out, size_t *nout);
/* Replaces *out (freed) by the networks parsed. */
int conf_get_cidrlist(struct conf_parser *p, const config_setting_t *s,
		      const char *path, struct tq_cidr **out, size_t *nout);
int conf_get_days(struct conf_parser *p, const config_setting_t *s,
		  const char *path, unsigned *out);
int conf_get_hhmm(struct conf_parser *p, const config_setting_t *s,
		  const char *path, int *out);

/* conf_keys.c */

/* Walk the file's top level into p->c; 0, or -1 with the message. */
int conf_parse_root(struct conf_parser *p, const config_setting_t *root);

/* conf_lex.c */

/* Line of the first "@include" in text, or 0. */
int conf_lex_include(const char *text, size_t len);
/* The text for libconfig (the caller frees it), or NULL with err set;
 * name is the file name for messages. */
char *conf_lex(const char *text, size_t len, const char *name,
	       char *err, size_t errlen);

#endif
