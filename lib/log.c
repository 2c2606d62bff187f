/* log.c - logging to a file, syslog, stderr or the journal.
 *
 * The journal is reached through stderr with sd-daemon(3)'s "<N>" priority
 * prefixes rather than sd_journal_print(): systemd already connects the
 * service's stderr to journald, the prefix costs no socket of our own
 * and no library in the tools and the portal, lines keep their order
 * with anything else written to stderr, and a test reads the format from
 * a pipe.  Journal lines carry neither time nor ident: journald adds both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

enum log_kind { LOG_TO_STDERR, LOG_TO_FILE, LOG_TO_SYSLOG, LOG_TO_JOURNAL };

static struct {
	enum log_kind kind;
	char ident[64];
	char path[4096];
	int fd;
	bool debug;
} lg = { LOG_TO_STDERR, "tcpquota", "", 2, false };

static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return false;
	return fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

const char *log_resolve(const char *target)
{
	static char path[128];

	if (!target || *target)
		return target;
	/* Not INVOCATION_ID: a service whose stderr is no journal (or a
	 * daemon that forked and left it for /dev/null) keeps the file. */
	if (log_stderr_is_journal())
		return "journal";
	snprintf(path, sizeof(path), "/var/log/%s.log", lg.ident);
	return path;
}

bool log_to_stderr(void)
{
	return lg.kind == LOG_TO_STDERR || lg.kind == LOG_TO_JOURNAL;
}

int log_open(const char *ident, const char *target)
{
	int fd;

	if (ident)
		tq_strlcpy(lg.ident, ident, sizeof(lg.ident));
	target = log_resolve(target);
	if (target && (strcmp(target, "journal") == 0 ||
		       (strcmp(target, "-") == 0 && log_stderr_is_journal()))) {
		log_close();
		lg.kind = LOG_TO_JOURNAL;
		return 0;
	}
	if (!target || strcmp(target, "-") == 0) {
		log_close();
		lg.kind = LOG_TO_STDERR;
		lg.fd = 2;
		return 0;
	}
	if (strcmp(target, "syslog") == 0) {
		log_close();
		lg.kind = LOG_TO_SYSLOG;
		openlog(lg.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return 0;
	}
	fd = open_file(target);
	if (fd < 0)
		return -1;
	log_close();
	lg.kind = LOG_TO_FILE;
	lg.fd = fd;
	tq_strlcpy(lg.path, target, sizeof(lg.path));
	return 0;
}

int log_reopen(void)
{
	int fd;

	if (lg.kind != LOG_TO_FILE)
		return 0;
	fd = open_file(lg.path);
	if (fd < 0)
		return -1;
	close(lg.fd);
	lg.fd = fd;
	return 0;
}

void log_close(void)
{
	if (lg.kind == LOG_TO_FILE && lg.fd > 2)
		close(lg.fd);
	else if (lg.kind == LOG_TO_SYSLOG)
		closelog();
	lg.kind = LOG_TO_STDERR;
	lg.fd = 2;
}

void log_set_debug(bool on)
{
	lg.debug = on;
}

bool log_debug_enabled(void)
{
	return lg.debug;
}

/* Control characters (a newline in a user name from the database, say)
 * become \xNN, so data can never start a log line of its own. */
static void escape_ctl(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
}

static void vlog(int prio, const char *level, int errnum, const char *fmt,
		 va_list ap)
{
	char raw[2048], msg[2048], line[2300];
	struct timespec ts;
	struct tm tm;
	int n;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	if (errnum) {
		size_t l = strlen(raw);

		snprintf(raw + l, sizeof(raw) - l, ": %s", strerror(errnum));
	}
	escape_ctl(raw, msg, sizeof(msg));
	if (lg.kind == LOG_TO_SYSLOG) {
		syslog(prio, "%s", msg);
		return;
	}
	if (lg.kind == LOG_TO_JOURNAL) {
		n = snprintf(line, sizeof(line), "<%d>%s\n", prio, msg);
		if (n > (int)sizeof(line) - 1) {
			n = (int)sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		(void)tq_write_all(2, line, (size_t)n);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02d %02d:%02d:%02d.%03ld %s[%ld] %s: %s\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, lg.ident,
		     (long)getpid(), level, msg);
	if (n > (int)sizeof(line) - 1) {	/* cut, but keep the newline */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)tq_write_all(lg.fd, line, (size_t)n);
}

#define LOGFN(name, prio, level, use_errno, check)			\
	void name(const char *fmt, ...)					\
	{								\
		int saved = errno;					\
		va_list ap;						\
		if (check)						\
			return;						\
		va_start(ap, fmt);					\
		vlog(prio, level, use_errno ? saved : 0, fmt, ap);	\
		va_end(ap);						\
		errno = saved;						\
	}

LOGFN(log_debug, LOG_DEBUG, "debug", 0, !lg.debug)
LOGFN(log_info, LOG_INFO, "info", 0, 0)
LOGFN(log_warn, LOG_WARNING, "warning", 1, 0)
LOGFN(log_warnx, LOG_WARNING, "warning", 0, 0)

/* Log fmt as a warning (with errnum's text unless 0) unless *said. */
static bool vsay_once(bool *said, int errnum, const char *fmt, va_list ap)
{
	if (*said)
		return false;
	*said = true;
	vlog(LOG_WARNING, "warning", errnum, fmt, ap);
	return true;
}

bool log_once(bool *said, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = vsay_once(said, 0, fmt, ap);
	va_end(ap);
	errno = saved;
	return r;
}

bool log_once_errno(bool *said, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = vsay_once(said, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return r;
}

bool log_recovered(bool *said, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!*said)
		return false;
	*said = false;
	if (fmt) {
		va_start(ap, fmt);
		vlog(LOG_INFO, "info", 0, fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return true;
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "fatal", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
