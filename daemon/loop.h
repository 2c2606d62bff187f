/* loop.h - the daemon's single event loop: epoll with fd handlers,
 * monotonic timers (timerfd) and signals (signalfd).
 *
 * Nothing runs in a signal handler: the signals given to loop_signals() are
 * blocked and delivered through a signalfd as ordinary events.  Handlers run
 * one at a time from loop_run(); a handler may add or remove handlers and
 * timers, and may call loop_stop().
 */
#ifndef TQ_LOOP_H
#define TQ_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(int fd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(struct loop_timer *t, void *arg);
typedef void (*loop_signal_cb)(int signo, void *arg);

/* A new loop; NULL on error (errno). */
struct loop *loop_new(void);
/* Frees the loop, its timers and signalfd (not fds added by the caller). */
void loop_free(struct loop *l);

/* Call cb when fd has events (EPOLLIN etc.).  0 / -1 (errno). */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
		void *arg);
/* Stop watching fd (does not close it).  0 / -1. */
int loop_del_fd(struct loop *l, int fd);

/**
 * loop_timer_add() - a CLOCK_MONOTONIC timer.
 * @first_ms:  delay of the first expiry (0 = at once).
 * @period_ms: interval after that, 0 for a one-shot timer.
 *
 * Returns the timer (owned by the loop until loop_timer_del()), or NULL.
 * Expiries missed while a handler ran are folded into one call.
 */
struct loop_timer *loop_timer_add(struct loop *l, unsigned first_ms,
				  unsigned period_ms, loop_timer_cb cb,
				  void *arg);
/* In a timer's callback: how many expiries it stands for (1, or more if
 * the loop was held up past the next one). */
unsigned loop_timer_expiries(const struct loop_timer *t);
/* Re-arm an existing timer.  0 / -1. */
int loop_timer_set(struct loop_timer *t, unsigned first_ms,
		   unsigned period_ms);
void loop_timer_del(struct loop *l, struct loop_timer *t);

/* Block these signals (sigprocmask) and deliver them to cb through one
 * signalfd.  0 / -1. */
/* The signalfd of loop_signals (readable: a signal waits), or -1. */
int loop_signal_fd(const struct loop *l);
int loop_signals(struct loop *l, const sigset_t *set, loop_signal_cb cb,
		 void *arg);

/* Run until loop_stop().  0, or -1 if epoll fails (errno). */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
