// Limits and waits the loop shares with the JS transports (both backends).
// Each has a TS twin in lib/index.ts, checked by test/boundary.test.ts.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringside {

// Output not yet taken by the kernel past which a connection's next request
// is not parsed (in JS, a response's write() returns false past it).
constexpr size_t kOutputHighWater = 64 * 1024;
// Requests parsed and not yet answered past which a connection's input is not
// parsed (a client that pipelines and never reads meets bounded memory).
constexpr uint32_t kMaxOutstandingRequests = 256;
// How long a closing connection reads and drops input after its FIN, waiting
// for the peer's, so unread input never turns into an RST.
constexpr uint64_t kLingerMs = 2000;
// How long a WebSocket waits for the peer's close frame after sending its own.
constexpr uint64_t kWsCloseWaitMs = 2000;

}  // namespace ringside
