/**
 * A clock read once per event-loop turn, for request start times (the node
 * backend's requestTimeout, the framework's reply.elapsedTime and onResponse
 * timings): reading the clock costs about as much as a small route, so the
 * requests of one turn share the time their turn began.
 */
let now = 0;
let valid = false;

const invalidate = (): void => {
  valid = false;
};

/** performance.now() as of the first call in this event-loop turn (milliseconds, monotonic). */
export function turnTime(): number {
  if (!valid) {
    now = performance.now();
    valid = true;
    setImmediate(invalidate);
  }
  return now;
}
