/* parse.c - request parsing for the portal (parse.h).
 *
 * Invariants: nothing here reads past len or writes past outlen; an
 * output is NUL-terminated whenever 1 is returned; no function allocates
 * or keeps state, so any input can be fed in any order.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long parse_urldecode(const char *in, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	if (outlen == 0)
		return -1;
	for (i = 0; i < len; i++) {
		int c = (unsigned char)in[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int h, l;

			if (len - i < 3)
				return -1;
			h = hexval(in[i + 1]);
			l = hexval(in[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		}
		if (c == 0 || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

/* Walk the items "name=value" of s[0..len), separated by sep; the value
 * of the one named name goes to *val and *vlen.  1, 0, or -1 if it is twice. */
static int find_item(const char *s, size_t len, char sep, bool trim,
		     const char *name, const char **val, size_t *vlen)
{
	size_t nlen = strlen(name), i = 0;
	int found = 0;

	while (i < len) {
		size_t start, end, eq;

		if (trim)
			while (i < len && (s[i] == ' ' || s[i] == '\t'))
				i++;
		start = i;
		while (i < len && s[i] != sep)
			i++;
		end = i;
		i++;		/* the separator */
		for (eq = start; eq < end && s[eq] != '='; eq++)
			;
		if (eq - start != nlen || memcmp(s + start, name, nlen))
			continue;
		if (found)
			return -1;
		found = 1;
		if (eq == end) {
			*val = s + end;
			*vlen = 0;
		} else {
			*val = s + eq + 1;
			*vlen = end - eq - 1;
		}
		if (trim)
			while (*vlen && (s[eq + *vlen] == ' ' ||
					 s[eq + *vlen] == '\t'))
				(*vlen)--;
	}
	return found;
}

int parse_form_get(const char *body, size_t len, const char *name,
		   char *out, size_t outlen)
{
	const char *v = NULL;
	size_t vlen = 0;
	int rc;

	rc = find_item(body, len, '&', false, name, &v, &vlen);
	if (rc <= 0)
		return rc;
	return parse_urldecode(v, vlen, out, outlen) < 0 ? -1 : 1;
}

int parse_cookie_get(const char *hdr, size_t len, const char *name,
		     char *out, size_t outlen)
{
	const char *v = NULL;
	size_t vlen = 0, i;
	int rc;

	rc = find_item(hdr, len, ';', true, name, &v, &vlen);
	if (rc <= 0)
		return rc;
	if (vlen + 1 > outlen)
		return -1;
	for (i = 0; i < vlen; i++)
		if ((unsigned char)v[i] < 0x21 || v[i] == 0x7f)
			return -1;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	return 1;
}

bool parse_token_ok(const char *s)
{
	size_t i;

	for (i = 0; i < PARSE_TOKEN_HEX - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

bool parse_token_equal(const char *a, const char *b)
{
	unsigned char d = 0;
	size_t i;

	if (!parse_token_ok(a) || !parse_token_ok(b))
		return false;
	for (i = 0; i < PARSE_TOKEN_HEX - 1; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

void parse_hex(const uint8_t *raw, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Split "host", "host:port", "[v6]" or "[v6]:port" at [s, s + len):
 * the host part and the port (0 if none).  0 / -1. */
static int split_hostport(const char *s, size_t len, const char **h,
			  size_t *hlen, unsigned *port)
{
	const char *colon = NULL;
	size_t i;

	*port = 0;
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return -1;
		*h = s + 1;
		*hlen = (size_t)(close - s - 1);
		if ((size_t)(close - s) + 1 == len)
			return 0;
		if (close[1] != ':')
			return -1;
		colon = close + 1;
	} else {
		*h = s;
		*hlen = len;
		for (i = 0; i < len; i++)
			if (s[i] == ':') {
				if (colon)	/* a bare IPv6 address */
					return 0;
				colon = s + i;
			}
		if (!colon)
			return 0;
		*hlen = (size_t)(colon - s);
	}
	if (colon + 1 == s + len || s + len - colon - 1 > 5)
		return -1;
	for (i = 1; colon + i < s + len; i++) {
		if (!isdigit((unsigned char)colon[i]))
			return -1;
		*port = *port * 10 + (unsigned)(colon[i] - '0');
	}
	return *port > 65535 ? -1 : 0;
}

bool parse_host_matches(const char *hdr, const char *want, unsigned port)
{
	const char *h;
	size_t hlen;
	unsigned p;

	if (!hdr || !want)
		return false;
	if (split_hostport(hdr, strlen(hdr), &h, &hlen, &p) < 0)
		return false;
	if (p && port && p != port)
		return false;
	if (hlen && h[hlen - 1] == '.')	/* "portal.lan." */
		hlen--;
	return hlen == strlen(want) && hlen && !strncasecmp(h, want, hlen);
}

int parse_url_host(const char *url, char *out, size_t outlen, unsigned *port)
{
	const char *s, *end, *h;
	size_t hlen;

	if (!strncmp(url, "http://", 7))
		s = url + 7;
	else if (!strncmp(url, "https://", 8))
		s = url + 8;
	else
		return -1;
	end = s + strcspn(s, "/?#");
	if (memchr(s, '@', (size_t)(end - s)))
		return -1;
	if (split_hostport(s, (size_t)(end - s), &h, &hlen, port) < 0 ||
	    hlen == 0 || hlen + 1 > outlen)
		return -1;
	memcpy(out, h, hlen);
	out[hlen] = '\0';
	return 0;
}
