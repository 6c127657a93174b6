/* Logging: one line per event on stderr, "time level tag: message".
 * The level is process-wide (set once at start-up from --log-level); the
 * functions are safe to call from any thread (one write per line). */
#ifndef INNET_LOG_H
#define INNET_LOG_H

#include <stdarg.h>

enum log_level { LOGL_DEBUG, LOGL_INFO, LOGL_WARN, LOGL_ERROR };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* "debug", "info", "warn", "error" -> 0, or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
static inline int log_enabled(enum log_level lvl)
{
	return lvl >= log_get_level();
}

/* tag: the subsystem ("http", "api", "registry", "dataplane", ...). */
void log_msg(enum log_level lvl, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level lvl, const char *tag, const char *fmt, va_list ap);

#define log_debug(tag, ...) log_msg(LOGL_DEBUG, (tag), __VA_ARGS__)
#define log_info(tag, ...) log_msg(LOGL_INFO, (tag), __VA_ARGS__)
#define log_warn(tag, ...) log_msg(LOGL_WARN, (tag), __VA_ARGS__)
#define log_error(tag, ...) log_msg(LOGL_ERROR, (tag), __VA_ARGS__)

#endif
