// The loop's counters, listed once: LoopStats' fields and the keys of the
// addon's stats() object both come from this list (lib/index.ts NativeStats
// is the TS twin; test/boundary.test.ts compares them).
#pragma once
#include <cstdint>

// X(field, "jsKey")
#define RINGSIDE_LOOP_STATS(X)                       \
  X(connections, "connections")                      \
  X(accepted, "accepted")                            \
  X(refused, "refused")                              \
  X(accept_errors, "acceptErrors")                   \
  X(bytes_read, "bytesRead")                         \
  X(bytes_written, "bytesWritten")                   \
  X(enobufs, "enobufs")                              \
  X(batches, "batches")                              \
  X(events, "events")                                \
  X(enters, "enters")                                \
  X(cq_overflows, "cqOverflows")                     \
  X(send_stalls, "sendStalls")                       \
  X(headers_timeouts, "headersTimeouts")             \
  X(request_timeouts, "requestTimeouts")             \
  X(idle_timeouts, "idleTimeouts")                   \
  X(ws_dropped, "wsDropped")                         \
  X(idle_buffer_bytes_freed, "idleBufferBytesFreed") \
  X(quiet_memory_releases, "quietMemoryReleases")

namespace ringside {

struct LoopStats {
#define RINGSIDE_STATS_FIELD(field, key) uint64_t field = 0;
  RINGSIDE_LOOP_STATS(RINGSIDE_STATS_FIELD)
#undef RINGSIDE_STATS_FIELD
};

}  // namespace ringside
