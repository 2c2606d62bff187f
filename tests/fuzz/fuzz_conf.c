/* fuzz_conf.c - libFuzzer target: the configuration parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct tq_conf *c;
	char *text;

	if (size > 65536)
		return 0;
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	c = conf_load_string(text, "fuzz.conf", err, sizeof(err));
	if (c) {
		struct tm tm = { .tm_wday = (int)(size % 7),
				 .tm_hour = (int)(size % 24),
				 .tm_min = (int)(size % 60) };

		(void)conf_rate_at(c, &tm);
		(void)conf_free_access_at(c, &tm);
		conf_free(c);
	} else {
		/* Every rejection must say something. */
		if (err[0] == '\0')
			__builtin_trap();
	}
	free(text);
	return 0;
}
