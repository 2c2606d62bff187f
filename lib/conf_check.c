/* conf_check.c - validators of string values, one per kind of value.
 *
 * Each takes a string and returns NULL if it is acceptable, else the rest
 * of the message after the quoted value: "what is wrong; what to do".
 * They are pure (no libconfig, no state, no allocation); the key tables
 * (conf_keys.c) name them, the readers (conf_get.c) call them and quote.
 */
#include <ctype.h>
#include <string.h>
#include <sys/un.h>

#include "conf_int.h"

/* 1..max characters, each a letter, a digit or one of extra. */
static bool is_name(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);

	if (n < 1 || n > max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

const char *conf_check_gateway(const char *s)
{
	if (!is_name(s, 32, "._-"))
		return "is not a gateway id; use 1..32 characters of "
		       "A-Z a-z 0-9 . _ -";
	return NULL;
}

const char *conf_check_path(const char *s)
{
	if (!*s)
		return "is empty; give a file name";
	if (has_control(s))
		return "contains control characters; give a plain file name";
	return NULL;
}

const char *conf_check_path_or_empty(const char *s)
{
	return *s ? conf_check_path(s) : NULL;
}

const char *conf_check_logfile(const char *s)
{
	if (!*s)
		return "is empty; give a file name, \"syslog\" or \"-\" "
		       "for stderr";
	return conf_check_path(s);
}

const char *conf_check_socket_or_empty(const char *s)
{
	struct sockaddr_un sun;

	if (!*s)
		return NULL;
	if (strlen(s) >= sizeof(sun.sun_path))
		return "is too long for a UNIX socket path; use at most 107 "
		       "characters";
	return conf_check_path(s);
}

static bool is_hostname(const char *s)
{
	size_t n = strlen(s), label = 0;
	const char *p;

	if (n == 0 || n > 253)
		return false;
	for (p = s; *p; p++) {
		if (*p == '.') {
			/* empty label, or one ending in '-' */
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
		if (*p == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && p[-1] != '-';
}

/* A member that looks numeric must parse as an address: "192.168.1.300"
 * is a typo, not a host name. */
static bool looks_numeric(const char *s)
{
	return strchr(s, ':') || strspn(s, "0123456789.") == strlen(s);
}

/* A host name, and not a mistyped address such as "192.168.1.300". */
bool conf_is_host_name(const char *s)
{
	return !looks_numeric(s) && is_hostname(s);
}

const char *conf_check_host(const char *s)
{
	struct tq_addr a;

	if (addr_parse(s, &a) == 0)
		return NULL;
	if (!conf_is_host_name(s))
		return "is neither an address nor a host name; use e.g. "
		       "\"localhost\" or \"198.18.0.1\"";
	return NULL;
}

const char *conf_check_dbname(const char *s)
{
	if (!is_name(s, 64, "_$"))
		return "is not a database name; use 1..64 characters of "
		       "A-Z a-z 0-9 _ $";
	return NULL;
}

const char *conf_check_dbuser(const char *s)
{
	if (!is_name(s, 80, "._-"))
		return "is not a database user name; use 1..80 characters of "
		       "A-Z a-z 0-9 . _ -";
	return NULL;
}

const char *conf_check_ifname(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	/* The kernel's own rule (dev_valid_name). */
	if (n < 1 || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		goto bad;
	for (p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) ||
		    (unsigned char)*p < 0x20 || *p == 0x7f)
			goto bad;
	return NULL;
bad:
	return "is not an interface name; use 1..15 characters without "
	       "'/', ':' or spaces, e.g. \"eth0\"";
}

const char *conf_check_link(const char *s)
{
	if (!strcmp(s, "always"))
		return NULL;
	if (conf_check_ifname(s))
		return "is neither \"always\" nor an interface name; use "
		       "\"always\" or e.g. \"ppp0\"";
	return NULL;
}

const char *conf_check_table(const char *s)
{
	if (!is_name(s, 32, "_-"))
		return "is not a table name; use 1..32 characters of "
		       "A-Z a-z 0-9 _ -";
	return NULL;
}

const char *conf_check_username(const char *s)
{
	if (s[0] == '-' || !is_name(s, 32, "._-"))
		return "is not a user or group name; use 1..32 characters of "
		       "A-Z a-z 0-9 . _ - (not starting with -)";
	return NULL;
}

const char *conf_check_unit(const char *s)
{
	if (strlen(s) > 16 || has_control(s))
		return "is not a money unit; use at most 16 printable "
		       "characters, e.g. \"SEK\"";
	return NULL;
}

const char *conf_check_groupname(const char *s)
{
	if (!is_name(s, 64, "_-"))
		return "is not a group name; use 1..64 characters of "
		       "A-Z a-z 0-9 _ -";
	return NULL;
}

const char *conf_check_address(const char *s)
{
	struct tq_addr a;

	if (addr_parse(s, &a) < 0)
		return "is not a numeric address; use e.g. \"192.168.1.1\" "
		       "or \"fd00::1\"";
	if (!addr_is_host(&a))
		return "cannot be listened on; use an address of the LAN "
		       "interface";
	return NULL;
}

const char *conf_check_url_or_empty(const char *s)
{
	const char *p;

	if (!*s)
		return NULL;
	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return "is not an http:// or https:// URL; use e.g. "
		       "\"https://portal.example.org/\"";
	for (p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' ||
		    *p == '<' || *p == '>' || *p == '\\')
			return "contains a blank, a quote or a control "
			       "character; write the URL without them";
	if (strlen(s) > 512)
		return "is too long; use at most 512 characters";
	return NULL;
}

const char *conf_check_service(const char *s)
{
	if (!is_name(s, 64, "._-"))
		return "is not a PAM service name; use 1..64 characters of "
		       "A-Z a-z 0-9 . _ -";
	return NULL;
}
