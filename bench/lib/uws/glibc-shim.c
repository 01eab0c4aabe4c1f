/*
 * The three glibc 2.38 (C23) entry points that the npm build of
 * uWebSockets.js calls, for systems with an older glibc (Debian 12: 2.36).
 * C23 only adds "0b" prefixes to these; uWS never parses binary literals,
 * so the C99 functions give the same results. Loaded with LD_PRELOAD into
 * the benchmark's uWS server only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

long __isoc23_strtol(const char *s, char **end, int base) { return strtol(s, end, base); }

unsigned long __isoc23_strtoul(const char *s, char **end, int base) { return strtoul(s, end, base); }

int __isoc23_sscanf(const char *s, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int n = vsscanf(s, format, args);
  va_end(args);
  return n;
}
