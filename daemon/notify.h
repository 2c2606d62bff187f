/* notify.h - telling systemd how the daemon is (sd_notify(3)). */
#ifndef TQ_NOTIFY_H
#define TQ_NOTIFY_H

/* Each does nothing without NOTIFY_SOCKET (not under systemd, or a unit
 * of another Type); a failure to send is not the daemon's concern. */

/* READY=1: started, or a reload is over. */
void notify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC (systemd 253 and later want it). */
void notify_reloading(void);
/* STOPPING=1: the clean exit has begun. */
void notify_stopping(void);
/* WatchdogSec: how often (ms) to call notify_watchdog(), half of
 * WATCHDOG_USEC; 0 if systemd watches nothing. */
unsigned notify_watchdog_ms(void);
/* WATCHDOG=1: the loop still turns. */
void notify_watchdog(void);

#endif
