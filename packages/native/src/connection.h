// Connection table: fixed slots with a generation counter (see batch.h for the
// id layout), a free list, and per-connection send queue and HTTP state.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include "http_parser.h"
#include "ws_deflate.h"
#include "ws_frame.h"

namespace ringside {

enum class ConnState : uint8_t { Free, Open, Closing };

// HTTP/1.1 framing state of one connection (only on HTTP listeners).
struct HttpConn {
  enum class Phase : uint8_t { Head, BodyLength, BodyChunked };
  Phase phase = Phase::Head;
  uint32_t scanned = 0;  // Connection::inbuf bytes already searched for CRLFCRLF
  uint64_t body_remaining = 0;
  http::ChunkedDecoder chunked;
  bool discard_body = false;  // JS will not read the current body
  bool last_request = false;  // Connection: close (or 1.0) seen: stop after this request
  bool upgrading = false;     // a WebSocket upgrade was delivered: input waits for JS to accept (WS_ACCEPT) or answer
  bool input_closed = false;  // parse nothing more on this connection
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

// WebSocket state of one connection (after WS_ACCEPT; loop_ws.cc).
struct WsConn {
  // From WS_ACCEPT.
  uint32_t max_payload = 0, max_backpressure = 0, idle_timeout_ms = 0, compress_threshold = 0;
  bool send_pings = false;
  bool shared_deflate = false;  // may get publish()'s one compressed frame (no context takeover, full window)
  std::unique_ptr<ws::Deflater> deflater;
  std::unique_ptr<ws::Inflater> inflater;
  // The frame being read.
  bool in_frame = false;
  ws::FrameHeader frame;
  uint64_t frame_left = 0;
  uint32_t mask_phase = 0;
  std::vector<uint8_t> control;  // a control frame's payload
  // The data message being assembled: its opcode while open (0: none), unmasked payload.
  uint8_t msg_opcode = 0;
  bool msg_compressed = false;
  std::vector<uint8_t> msg;
  // A complete message in `msg` being handed to JS, across batches if large.
  bool delivering = false;
  bool deliver_binary = false;
  size_t delivered = 0;
  bool input_closed = false;  // a close frame came, or the server failed the connection
  bool close_sent = false;
  uint64_t last_input_ms = 0;
  uint64_t close_deadline_ms = 0;  // close sent, waiting for the peer's: give up then
  bool ping_outstanding = false;
  bool output_blocked = false;  // stopped reading: more than max_backpressure unsent (resumes as sends progress)
  std::vector<std::string> topics;
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
  bool active = false;            // input or output since the last tick (the sweep frees idle connections' buffers)
  std::vector<uint8_t> inbuf;     // received, not yet in a batch (partial head, parked input)
  std::vector<uint8_t> sending;   // bytes handed to the kernel (stable while in flight)
  size_t sent = 0;                // of `sending`
  std::vector<uint8_t> pending;   // queued behind the send in flight
  std::unique_ptr<HttpConn> http;
  std::unique_ptr<WsConn> ws;

  bool wants_recv() const {
    return state == ConnState::Open && !recv_armed && !paused && !parked && !nobufs && !peer_eof;
  }
  size_t queued() const { return sending.size() - sent + pending.size(); }
};

}  // namespace ringside
