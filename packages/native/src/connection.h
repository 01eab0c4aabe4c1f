// Connection table: fixed slots with a generation counter (see batch.h for the
// id layout), a free list, and per-connection send queue and HTTP state.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>
#include "http_parser.h"

namespace ringside {

enum class ConnState : uint8_t { Free, Open, Closing };

// HTTP/1.1 framing state of one connection (only on HTTP listeners).
struct HttpConn {
  enum class Phase : uint8_t { Head, BodyLength, BodyChunked };
  Phase phase = Phase::Head;
  uint32_t scanned = 0;  // Connection::inbuf bytes already searched for CRLFCRLF
  uint64_t body_remaining = 0;
  http::ChunkedDecoder chunked;
  bool discard_body = false;                                // JS will not read the current body
  bool last_request = false;                                // Connection: close (or 1.0) seen: stop after this request
  bool input_closed = false;                                // parse nothing more on this connection
  http::ParseError pending_error = http::ParseError::None;  // answer once earlier responses are out
  bool pending_error_head = false;                          // ...to a HEAD request: without a body
  uint32_t outstanding = 0;                                 // requests delivered whose RESPONSE_DONE is not back
  bool timeout_reported = false;
  bool output_blocked = false;      // stopped parsing: too much unsent output (resumes as sends progress)
  uint32_t empty_lines = 0;         // CRLFs skipped before the current request line
  uint64_t head_started_ms = 0;     // first byte of the head being received; 0 when none
  uint64_t request_started_ms = 0;  // oldest unanswered request's first byte; 0 when none
  uint64_t idle_since_ms = 0;       // when it became idle (nothing outstanding)
};

struct Connection {
  uint32_t gen = 0;
  int fd = -1;
  ConnState state = ConnState::Free;
  uint16_t listener = 0;
  // recv
  bool recv_armed = false;    // a multishot recv is in the kernel
  bool paused = false;        // JS asked to stop reading
  bool nobufs = false;        // waiting for buffers to be recycled before re-arming
  bool peer_eof = false;      // FIN received
  bool needs_parse = false;   // input in `inbuf` waits for the next batch (listed in Loop::waiting_)
  bool parked = false;        // too much unprocessed input; reading stops until it is processed
  bool eof_reported = false;  // TCP: END delivered (after every byte before the FIN)
  // send
  bool send_inflight = false;
  bool kick = false;  // listed in Loop::kicks_
  bool want_drain = false;
  bool end_after_send = false;    // shutdown(SHUT_WR) once the queue is empty
  bool close_after_send = false;  // close once the queue is empty
  bool write_shut = false;
  bool cancel_sent = false;
  int close_error = 0;
  uint64_t linger_until_ms = 0;   // closing gracefully: FIN sent, waiting for the peer's
  uint64_t send_progress_ms = 0;  // last time the kernel took bytes (or the queue started)
  std::vector<uint8_t> inbuf;     // received, not yet in a batch (partial head, parked input)
  std::vector<uint8_t> sending;   // bytes handed to the kernel (stable while in flight)
  size_t sent = 0;                // of `sending`
  std::vector<uint8_t> pending;   // queued behind the send in flight
  std::unique_ptr<HttpConn> http;

  bool wants_recv() const {
    return state == ConnState::Open && !recv_armed && !paused && !parked && !nobufs && !peer_eof;
  }
  size_t queued() const { return sending.size() - sent + pending.size(); }
};

}  // namespace ringside
