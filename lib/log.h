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
 * @target: a file path, "syslog", "journal" (stderr with "<N>" priority
 *          prefixes, as systemd reads it), "-" for stderr (the
 *          journal's format when stderr is the journal: JOURNAL_STREAM),
 *          or "" when the configuration names none: see log_resolve().
 *
 * Returns 0, or -1 with errno set (the previous target stays in force).
 */
int log_open(const char *ident, const char *target);
/* What target stands for: itself, or for "" the journal when stderr is
 * the journal's stream (a systemd service's), else /var/log/IDENT.log
 * (IDENT as last given to log_open).  Returns target or a static
 * string. */
const char *log_resolve(const char *target);
/* True if log lines go to stderr (the journal, or "-"). */
bool log_to_stderr(void);
/* True if stderr is the journal's stream (systemd's JOURNAL_STREAM names
 * its device and inode). */
bool log_stderr_is_journal(void);
/* Reopen the current file target (after log rotation). 0 / -1. */
int log_reopen(void);
void log_close(void);
void log_set_debug(bool on);
bool log_debug_enabled(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * "Said once" logging for a condition that lasts (the database away, a
 * link down, a failing journal): *said is the caller's memory of having
 * said it.  log_once() logs a warning and sets *said unless it is set
 * already; log_once_errno() the same with strerror(errno) appended (as
 * log_warn).  Both return true if they logged.  log_recovered() ends the
 * spell: if *said, clears it and, with fmt not NULL, logs fmt (info);
 * returns whether it was set.
 */
bool log_once(bool *said, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool log_once_errno(bool *said, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool log_recovered(bool *said, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Start-up only: log, then exit(1). */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
