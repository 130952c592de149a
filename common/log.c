#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static char log_name[32] = "mtgt";
static enum log_level log_level = LOG_INFO;

void log_init(const char *name)
{
	snprintf(log_name, sizeof(log_name), "%s", name);
	/* Line-buffer so lines from several processes sharing one stderr do not
	 * interleave mid-line. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	/* Read the time zone now: a sandboxed process that logs its first line
	 * after entering the sandbox may no longer open /etc/localtime. */
	tzset();
}

void log_set_level(enum log_level lvl) { log_level = lvl; }
enum log_level log_get_level(void) { return log_level; }

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char line[1024];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	int n;

	if (lvl > log_level)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s[%d] %s: ", tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (long)tv.tv_usec / 1000, log_name, getpid(),
		     names[lvl]);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line keeps lines whole. */
	n = (int)strnlen(line, sizeof(line) - 2);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}
