/* conf_load.c - from a file or a string to a struct tq_conf.
 *
 * In order: read at most TQ_CONF_MAX_BYTES + 1 bytes (st_size is not
 * trusted), refuse an oversize text, a NUL byte and "@include", pre-scan
 * it (conf_lex.c), parse it with libconfig, then walk the tree
 * (conf_keys.c) onto conf_defaults().  Any failure frees what was built
 * and returns NULL with one message naming the file and line; a struct
 * the caller already holds is never touched, so a failed reload is
 * harmless.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_int.h"
#include "util.h"

static void syntax_error(const config_t *cfg, const char *name, char *err,
			 size_t errlen)
{
	const char *text = config_error_text(cfg);
	int line = config_error_line(cfg);

	if (!text || !strcmp(text, "syntax error"))
		tq_err(err, errlen, "%s:%d: syntax error; check the quotes, "
		       "'=', ';' and brackets on or before this line",
		       name, line);
	else if (!strcmp(text, "duplicate setting name"))
		tq_err(err, errlen, "%s:%d: duplicate setting; give each "
		       "setting once", name, line);
	else
		tq_err(err, errlen, "%s:%d: syntax error (%s); check the "
		       "quotes, '=', ';' and brackets on or before this line",
		       name, line, text);
}

static struct tq_conf *load_buf(const char *text, size_t len,
				const char *name, char *err, size_t errlen)
{
	struct conf_parser p = { name, err, errlen, NULL };
	const char *nul;
	config_t cfg;
	char *wide;
	int line;

	if (len > TQ_CONF_MAX_BYTES) {
		tq_err(err, errlen, "%s: larger than %d bytes; this is not a "
		       "tcpquota configuration file", name, TQ_CONF_MAX_BYTES);
		return NULL;
	}
	if ((nul = memchr(text, '\0', len))) {
		for (line = 1; text < nul; text++)
			line += *text == '\n';
		tq_err(err, errlen, "%s:%d: contains a NUL byte; this is not "
		       "a text file", name, line);
		return NULL;
	}
	if ((line = conf_lex_include(text, len))) {
		tq_err(err, errlen, "%s:%d: @include: not supported; put "
		       "every setting in this one file", name, line);
		return NULL;
	}
	wide = conf_lex(text, len, name, err, errlen);
	if (!wide)
		return NULL;
	config_init(&cfg);
	if (config_read_string(&cfg, wide) != CONFIG_TRUE) {
		syntax_error(&cfg, name, err, errlen);
		config_destroy(&cfg);
		free(wide);
		return NULL;
	}
	free(wide);
	p.c = conf_defaults();
	free(p.c->path);
	p.c->path = xstrdup(name);
	if (conf_parse_root(&p, config_root_setting(&cfg)) < 0) {
		config_destroy(&cfg);
		conf_free(p.c);
		return NULL;
	}
	config_destroy(&cfg);
	return p.c;
}

struct tq_conf *conf_load_string(const char *text, const char *name,
				 char *err, size_t errlen)
{
	if (!name)
		name = "(string)";
	if (!text) {
		tq_err(err, errlen, "%s: no text", name);
		return NULL;
	}
	return load_buf(text, strlen(text), name, err, errlen);
}

struct tq_conf *conf_load(const char *path, char *err, size_t errlen)
{
	struct tq_conf *c;
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: opening a FIFO must not hang the daemon. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		goto err_read;
	if (fstat(fd, &st) < 0)
		goto err_close;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		tq_err(err, errlen, "%s: cannot read: not a regular file",
		       path);
		return NULL;
	}
	/* Read at most one byte past the limit; st_size is not trusted
	 * (a FIFO or /proc file says 0). */
	buf = xmalloc(TQ_CONF_MAX_BYTES + 2);
	for (;;) {
		ssize_t n = read(fd, buf + len, TQ_CONF_MAX_BYTES + 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			goto err_close;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > TQ_CONF_MAX_BYTES)
			break;
	}
	close(fd);
	buf[len] = '\0';
	c = load_buf(buf, len, path, err, errlen);
	free(buf);
	return c;

err_close:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
err_read:
	tq_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	return NULL;
}
