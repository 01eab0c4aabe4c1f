/**
 * A clock read once per event-loop turn, for request start times
 * (reply.elapsedTime, the responseTime of the log line, onResponse hooks):
 * reading the clock costs about as much as a small route, so requests
 * dispatched in the same turn (one batch from the transport) share the time
 * their turn began.
 */
let now = 0;
let valid = false;

const invalidate = (): void => {
  valid = false;
};

/** performance.now() as of the first call in this event-loop turn. */
export function turnTime(): number {
  if (!valid) {
    now = performance.now();
    valid = true;
    setImmediate(invalidate);
  }
  return now;
}
