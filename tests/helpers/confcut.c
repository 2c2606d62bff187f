/* confcut.c - load every prefix of a configuration file, as a file cut at
 * that byte would be read (tests/integration/065-bad-config.sh).
 *
 *   confcut FILE
 *
 * For each length n = 1 .. size-1 prints one line:
 *   "n ok"              the prefix loads
 *   "n line L"          refused with "NAME:L: ..." and 1 <= L <= the lines
 *                       of the prefix
 *   "n bad MESSAGE"     refused without such a line number
 * The prefix is named "cut" in messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	char err[1024], *text;
	struct tq_conf *c;
	size_t size, n, i;
	int lines, l;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: confcut FILE\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	size = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	text = xmalloc(size + 1);
	for (n = 1; n < size; n++) {
		memcpy(text, buf, n);
		text[n] = '\0';
		lines = 1;
		for (i = 0; i < n; i++)
			lines += text[i] == '\n';
		c = conf_load_string(text, "cut", err, sizeof(err));
		if (c) {
			printf("%zu ok\n", n);
			conf_free(c);
			continue;
		}
		if (sscanf(err, "cut:%d: ", &l) == 1 && l >= 1 && l <= lines &&
		    !strchr(err, '\n'))
			printf("%zu line %d\n", n, l);
		else
			printf("%zu bad %s\n", n, err);
	}
	free(text);
	return 0;
}
