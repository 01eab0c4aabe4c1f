/**
 * What every WebSocket benchmark server serves (bench/websocket.js):
 *   GET /      plain HTTP 200 "ok" (the harness's readiness check)
 *   /echo      WebSocket: every message straight back, text or binary as received
 *   /sub       WebSocket: subscribed to TOPIC on open, sends nothing else
 *   /pub       WebSocket: every message is published to TOPIC (to all /sub sockets)
 * Compression off everywhere; one process, one thread of JS.
 */
export const TOPIC = 'bench';
