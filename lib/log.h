/* log.h - logging to a file, syslog or stderr, with timestamps and levels.
 *
 * One process-wide logger (the daemon and each tool are single-threaded).
 * log_warn() appends strerror(errno); log_warnx() does not (OpenBSD habit).
 */
#ifndef TQ_LOG_H
#define TQ_LOG_H

#include <stdbool.h>

/**
 * log_open() - direct log output.
 * @ident:  program name, used as syslog ident and line prefix.
 * @target: a file path, "syslog", or "-" for stderr.
 *
 * Returns 0, or -1 with errno set (the previous target stays in force).
 */
int log_open(const char *ident, const char *target);
/* Reopen the current file target (after log rotation). 0 / -1. */
int log_reopen(void);
void log_close(void);
void log_set_debug(bool on);
bool log_debug_enabled(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start-up only: log, then exit(1). */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
