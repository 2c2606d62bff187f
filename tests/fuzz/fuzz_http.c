/* fuzz_http.c - libFuzzer target: what the portal parses from a request
 * (portal/parse.c).  The first byte picks the parser, the rest is its
 * input: 0 a form body, 1 a Cookie header, 2 a Host header, 3 an Origin
 * or portal URL, 4 tokens; every parser runs on a copy without a NUL
 * after it, so a read past the length shows up under ASan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"csrf", "user", "password", "room", "tqp", "tqp_login"
	};
	char out[256], host[64], *buf, *str;
	unsigned port;
	size_t i, n;
	int rc;

	if (size < 1 || size > 8192)
		return 0;
	n = size - 1;
	buf = xmalloc(n ? n : 1);	/* exactly n bytes: no NUL after */
	memcpy(buf, data + 1, n);
	str = xmalloc(n + 1);
	memcpy(str, data + 1, n);
	str[n] = '\0';
	switch (data[0] % 5) {
	case 0:
		for (i = 0; i < 4; i++) {
			rc = parse_form_get(buf, n, names[i], out,
					    sizeof(out));
			if (rc == 1 && strlen(out) >= sizeof(out))
				__builtin_trap();
		}
		(void)parse_urldecode(buf, n, out, sizeof(out));
		break;
	case 1:
		for (i = 4; i < 6; i++) {
			rc = parse_cookie_get(buf, n, names[i], out,
					      PARSE_TOKEN_HEX);
			if (rc == 1 && strlen(out) >= PARSE_TOKEN_HEX)
				__builtin_trap();
		}
		break;
	case 2:
		(void)parse_host_matches(str, "198.18.1.1", 80);
		(void)parse_host_matches(str, "2001:db8:1::1", 0);
		(void)parse_host_matches(str, "portal.lan", 443);
		break;
	case 3:
		if (parse_url_host(str, host, sizeof(host), &port) == 0 &&
		    (strlen(host) >= sizeof(host) || port > 65535))
			__builtin_trap();
		break;
	default:
		if (parse_token_ok(str) && !parse_token_equal(str, str))
			__builtin_trap();
		break;
	}
	free(buf);
	free(str);
	return 0;
}
