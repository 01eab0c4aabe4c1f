// WebSocket connections (RFC 6455, permessage-deflate RFC 7692): the switch
// from HTTP on WS_ACCEPT, frames read into whole messages (WS_MESSAGE records,
// in pieces when a message outgrows a batch), control frames answered here
// (pong, the closing handshake), messages framed (and compressed) on the way
// out, topics with publish serializing a frame once for every subscriber,
// and the idle / close / send-stall deadlines.
#include <errno.h>

#include <algorithm>

#include "event_records.h"
#include "loop.h"
#include "transport_limits.h"

namespace ringside {

namespace {
// Compressed input of one message may exceed max_payload by deflate's worst case.
inline uint64_t compressed_bound(uint64_t max_payload) { return max_payload + max_payload / 64 + 1024; }
inline uint32_t word(const uint8_t* p, unsigned i) {
  uint32_t v;
  memcpy(&v, p + (size_t)i * 4, 4);
  return v;
}
}  // namespace

// WS_ACCEPT: only on the connection's one outstanding request, an upgrade.
void Loop::ws_accept(Connection& c, const uint8_t* p, size_t n) {
  const size_t header = kWsAcceptWords * 4;
  if (!c.http || !c.http->upgrading || c.ws || !p || n < header) {
    begin_close(c, -EPROTO);
    return;
  }
  // A client must wait for the 101 before it sends frames (RFC 6455 §4.1): one that did is refused.
  if (!c.inbuf.empty()) {
    write_ws_close(late_record(), id_of(c), ws::kProtocolError, 0, 0);
    c.http->input_closed = true;
    http_answer_error(c, http::error_response(http::ParseError::BadRequest));
    return;
  }
  auto w = std::make_unique<WsConn>();
  w->max_payload = word(p, WA_MAX_PAYLOAD);
  w->max_backpressure = word(p, WA_MAX_BACKPRESSURE);
  w->idle_timeout_ms = word(p, WA_IDLE_TIMEOUT_MS);
  w->compress_threshold = word(p, WA_COMPRESS_THRESHOLD);
  const uint32_t flags = word(p, WA_FLAGS);
  w->send_pings = flags & WAF_SEND_PINGS;
  if (flags & WAF_DEFLATE) {
    int server_bits = (int)word(p, WA_SERVER_WINDOW_BITS), client_bits = (int)word(p, WA_CLIENT_WINDOW_BITS);
    w->deflater = std::make_unique<ws::Deflater>();
    w->inflater = std::make_unique<ws::Inflater>();
    // zlib cannot compress within a 256-byte window: such a connection gets uncompressed messages.
    if (server_bits < 9 || !w->deflater->init(server_bits, flags & WAF_SERVER_NO_CONTEXT)) w->deflater.reset();
    if (!w->inflater->init(client_bits, flags & WAF_CLIENT_NO_CONTEXT)) {
      begin_close(c, -ENOMEM);
      return;
    }
    w->shared_deflate = w->deflater && (flags & WAF_SERVER_NO_CONTEXT) && server_bits == 15;
  }
  w->last_input_ms = now();
  sweep_for(w->idle_timeout_ms);
  queue_send(c, p + header, n - header);
  c.http.reset();
  c.ws = std::move(w);
  if (c.peer_eof) resume_later(c);
  if (c.wants_recv()) arm_recv(c);
}

// Frames into messages, as far as the batch has room.
void Loop::ws_input(Connection& c, const InputSpan& in) {
  WsConn& w = *c.ws;
  const uint32_t id = id_of(c);
  const uint8_t* buf = in.data;
  const size_t len = in.len;
  size_t pos = 0;
  if (len) w.last_input_ms = now_ms_, w.ping_outstanding = false;
  bool waiting = false;  // stopped for room or delivery, not for bytes
  while (c.state == ConnState::Open && !w.input_closed) {
    // A client that does not read what it asks for (pongs, echoes) is not read either.
    if (c.queued() > w.max_backpressure) {
      w.output_blocked = true;
      break;
    }
    if (w.delivering && !ws_deliver(c)) {
      waiting = true;
      break;
    }
    if (!w.in_frame) {
      ws::FrameHeader& f = w.frame;
      ws::HeaderResult r = ws::read_header(buf + pos, len - pos, w.inflater != nullptr, f);
      if (r == ws::HeaderResult::NeedMore) break;
      if (r == ws::HeaderResult::Error) {
        ws_fail(c, ws::kProtocolError);
        break;
      }
      const bool control = f.opcode & 0x08;
      if (!control) {
        // A continuation needs an open message; a new message needs none open; RSV1 marks only a first frame.
        bool continuation = f.opcode == ws::kContinuation;
        if (continuation != (w.msg_opcode != 0) || (continuation && f.rsv1)) {
          ws_fail(c, ws::kProtocolError);
          break;
        }
        bool compressed = continuation ? w.msg_compressed : f.rsv1;
        uint64_t bound = compressed ? compressed_bound(w.max_payload) : w.max_payload;
        if (w.msg.size() + f.payload_len > bound) {
          ws_fail(c, ws::kTooBig);
          break;
        }
        // The common case: a whole small message in this input, unmasked straight into the batch.
        const size_t avail = len - pos - f.size;
        if (f.fin && !continuation && !f.rsv1 && avail >= f.payload_len && batch_.room(1, (uint32_t)f.payload_len, 0)) {
          uint32_t off = batch_.data_used;
          uint8_t* dst = batch_.data + off;
          ws::unmask(dst, buf + pos + f.size, (size_t)f.payload_len, f.mask, 0);
          if (f.opcode == ws::kText && !ws::valid_utf8(dst, (size_t)f.payload_len)) {
            ws_fail(c, ws::kInvalidPayload);
            break;
          }
          batch_.data_used += (uint32_t)f.payload_len;
          write_ws_message(batch_.next_event(), id, off, (uint32_t)f.payload_len, f.opcode == ws::kBinary, true);
          pos += f.size + (size_t)f.payload_len;
          continue;
        }
        if (!continuation) {
          w.msg_opcode = f.opcode;
          w.msg_compressed = f.rsv1;
        }
      } else {
        // Its record (and a close reason or ping payload) must fit this batch.
        if (!batch_.room(1, 125, 0)) {
          waiting = true;
          break;
        }
        w.control.clear();
      }
      pos += f.size;
      w.in_frame = true;
      w.frame_left = f.payload_len;
      w.mask_phase = 0;
    }
    // Payload bytes of the frame being read.
    const ws::FrameHeader& f = w.frame;
    std::vector<uint8_t>& dst = (f.opcode & 0x08) ? w.control : w.msg;
    size_t take = (size_t)std::min<uint64_t>(w.frame_left, len - pos);
    size_t at = dst.size();
    dst.resize(at + take);
    w.mask_phase = ws::unmask(dst.data() + at, buf + pos, take, f.mask, w.mask_phase);
    pos += take;
    w.frame_left -= take;
    if (w.frame_left > 0) break;
    w.in_frame = false;
    if (f.opcode & 0x08) {
      ws_control(c);
    } else if (f.fin && !ws_message_done(c)) {
      break;
    }
  }
  if (c.state != ConnState::Open || !c.ws) return;
  if (w.input_closed) pos = len;
  // Unread input waits (bounded: reading stops past it) for room in a later batch.
  keep_input(c, in, pos, (size_t)cfg_.buffer_size * 2);
  if (waiting) {
    resume_later(c);
    return;
  }
  if (c.peer_eof && !w.input_closed && c.inbuf.empty()) {
    // The client left without a close frame: JS reports 1006 when the socket closes.
    w.input_closed = true;
    finish_then_close(c);
  }
}

// A data message is complete in w.msg: inflate, validate, hand to JS. False when it failed the connection.
bool Loop::ws_message_done(Connection& c) {
  WsConn& w = *c.ws;
  if (w.msg_compressed) {
    ws_tmp_.clear();
    ws::Inflater::Result r = w.inflater->inflate(w.msg.data(), w.msg.size(), true, w.max_payload, ws_tmp_);
    if (r != ws::Inflater::Result::Ok) {
      ws_fail(c, r == ws::Inflater::Result::TooBig ? ws::kTooBig : ws::kInvalidPayload);
      return false;
    }
    w.msg.swap(ws_tmp_);
    release(ws_tmp_);
  }
  if (w.msg_opcode == ws::kText && !ws::valid_utf8(w.msg.data(), w.msg.size())) {
    ws_fail(c, ws::kInvalidPayload);
    return false;
  }
  w.deliver_binary = w.msg_opcode == ws::kBinary;
  w.msg_opcode = 0;
  w.msg_compressed = false;
  w.delivering = true;
  w.delivered = 0;
  ws_deliver(c);
  return true;
}

// The complete message into WS_MESSAGE records, as much as this batch holds; true once all of it is out.
bool Loop::ws_deliver(Connection& c) {
  WsConn& w = *c.ws;
  const uint32_t id = id_of(c);
  do {
    if (!batch_.room(1, 1, 0) && !(w.msg.size() == w.delivered && batch_.room(1, 0, 0))) return false;
    uint32_t take = (uint32_t)std::min<size_t>(w.msg.size() - w.delivered, batch_.data_room());
    uint32_t off = batch_.copy(w.msg.data() + w.delivered, take);
    w.delivered += take;
    write_ws_message(batch_.next_event(), id, off, take, w.deliver_binary, w.delivered == w.msg.size());
  } while (w.delivered < w.msg.size());
  w.delivering = false;
  release(w.msg);
  return true;
}

// A complete control frame in w.control (room for its record was checked before it was read).
void Loop::ws_control(Connection& c) {
  WsConn& w = *c.ws;
  const uint32_t id = id_of(c);
  const uint8_t* p = w.control.data();
  const uint32_t n = (uint32_t)w.control.size();
  switch (w.frame.opcode) {
    case ws::kPing:
      if (!w.close_sent) ws_send_frame(c, ws::kPong, p, n, false);
      write_ws_control(batch_.next_event(), EV_WS_PING, id, batch_.copy(p, n), n);
      break;
    case ws::kPong: write_ws_control(batch_.next_event(), EV_WS_PONG, id, batch_.copy(p, n), n); break;
    case ws::kClose: {
      uint32_t code = ws::kNoStatus;
      if (n == 1) return ws_fail(c, ws::kProtocolError);
      if (n >= 2) {
        code = ((uint32_t)p[0] << 8) | p[1];
        if (!ws::valid_close_code(code)) return ws_fail(c, ws::kProtocolError);
        if (!ws::valid_utf8(p + 2, n - 2)) return ws_fail(c, ws::kInvalidPayload);
      }
      write_ws_close(batch_.next_event(), id, code, n > 2 ? batch_.copy(p + 2, n - 2) : 0, n > 2 ? n - 2 : 0);
      ws_input_ends(c);
      break;
    }
  }
}

// Fail the connection (§7.1.7): WS_CLOSE with `code` to JS, which sends the close frame.
void Loop::ws_fail(Connection& c, uint16_t code) {
  write_ws_close(late_record(), id_of(c), code, 0, 0);
  ws_input_ends(c);
}

// Nothing more is read. JS answers the WS_CLOSE just written with a close
// frame (the peer's code echoed, §5.5.1, or the failure's), after whatever it
// sends for the messages before it; the server then closes the TCP connection
// first (§7.1.1). A handshake the server began is complete now.
void Loop::ws_input_ends(Connection& c) {
  WsConn& w = *c.ws;
  w.input_closed = true;
  if (w.close_sent)
    finish_then_close(c);
  else
    w.close_deadline_ms = now() + kWsCloseWaitMs;
}

// One frame of a message or control, compressed when asked, negotiated and worth it.
void Loop::ws_send_frame(Connection& c, uint8_t opcode, const uint8_t* p, size_t n, bool compress) {
  WsConn& w = *c.ws;
  uint8_t head[10];
  if (compress && w.deflater && n >= w.compress_threshold && opcode < ws::kClose) {
    ws_tmp_.clear();
    if (w.deflater->compress(p, n, ws_tmp_)) {
      queue_send(c, head, ws::write_header(head, opcode, true, true, ws_tmp_.size()));
      queue_send(c, ws_tmp_.data(), ws_tmp_.size());
      release(ws_tmp_);
      return;
    }
  }
  queue_send(c, head, ws::write_header(head, opcode, true, false, n));
  queue_send(c, p, n);
}

// Our close frame (payload: nothing, or a code and reason). It answers the
// peer's (or ends a failed connection): close once it is sent. Else the
// peer's answer is awaited, until the wait ends.
void Loop::ws_send_close(Connection& c, const uint8_t* p, size_t n) {
  WsConn& w = *c.ws;
  if (w.close_sent) return;
  ws_send_frame(c, ws::kClose, p, std::min<size_t>(n, 125), false);
  w.close_sent = true;
  if (w.input_closed)
    finish_then_close(c);
  else
    w.close_deadline_ms = now() + kWsCloseWaitMs;
}

void Loop::ws_subscribe(Connection& c, std::string_view topic) {
  WsConn& w = *c.ws;
  std::string t(topic);
  if (std::find(w.topics.begin(), w.topics.end(), t) != w.topics.end()) return;
  topics_[t].push_back(id_of(c));
  w.topics.push_back(std::move(t));
}

void Loop::ws_unsubscribe(Connection& c, std::string_view topic) {
  WsConn& w = *c.ws;
  auto mine = std::find(w.topics.begin(), w.topics.end(), topic);
  if (mine == w.topics.end()) return;
  auto it = topics_.find(*mine);
  if (it != topics_.end()) {
    std::vector<uint32_t>& ids = it->second;
    auto at = std::find(ids.begin(), ids.end(), id_of(c));
    if (at != ids.end()) {
      *at = ids.back();
      ids.pop_back();
    }
    if (ids.empty()) topics_.erase(it);
  }
  *mine = std::move(w.topics.back());
  w.topics.pop_back();
}

// A closing connection leaves its topics.
void Loop::ws_forget(Connection& c) {
  while (c.ws && !c.ws->topics.empty()) ws_unsubscribe(c, c.ws->topics.back());
}

// One message to every subscriber of a topic but the publisher, framed once
// (and compressed once, for subscribers whose compressor keeps no context).
// A subscriber already buffering past its max_backpressure misses it.
void Loop::ws_publish(uint32_t publisher, const uint8_t* p, size_t n, int32_t flags) {
  if (!p || n < 4) return;
  uint32_t topic_len = word(p, 0);
  if (topic_len > n - 4) return;
  auto it = topics_.find(std::string((const char*)p + 4, topic_len));
  if (it == topics_.end()) return;
  const uint8_t* payload = p + 4 + topic_len;
  const size_t len = n - 4 - topic_len;
  const uint8_t opcode = (flags & kOpFlagWsBinary) ? ws::kBinary : ws::kText;
  uint8_t head[10];
  const uint32_t head_len = ws::write_header(head, opcode, true, false, len);
  std::vector<uint8_t> plain;
  plain.reserve(head_len + len);
  plain.insert(plain.end(), head, head + head_len);
  plain.insert(plain.end(), payload, payload + len);
  std::vector<uint8_t> packed;
  const bool compress = (flags & kOpFlagWsCompress) != 0;
  for (uint32_t id : it->second) {
    if (id == publisher) continue;
    Connection* s = lookup(id);
    if (!s || s->state != ConnState::Open || !s->ws || s->ws->close_sent) continue;
    WsConn& w = *s->ws;
    if (s->queued() > w.max_backpressure) {
      stats_.ws_dropped++;
      continue;
    }
    const std::vector<uint8_t>* frame = &plain;
    if (compress && w.shared_deflate && len >= w.compress_threshold) {
      if (packed.empty()) {
        if (!publish_deflater_ready_) publish_deflater_ready_ = publish_deflater_.init(15, true);
        ws_tmp_.clear();
        if (publish_deflater_ready_ && publish_deflater_.compress(payload, len, ws_tmp_)) {
          const uint32_t packed_head = ws::write_header(head, opcode, true, true, ws_tmp_.size());
          packed.reserve(packed_head + ws_tmp_.size());
          packed.insert(packed.end(), head, head + packed_head);
          packed.insert(packed.end(), ws_tmp_.begin(), ws_tmp_.end());
        }
      }
      if (!packed.empty()) frame = &packed;
    }
    queue_send(*s, frame->data(), frame->size());
  }
}

// Sends progressed: a connection that stopped reading for unsent output goes on below the mark.
void Loop::ws_output_progress(Connection& c) {
  WsConn& w = *c.ws;
  if (w.output_blocked && c.queued() <= w.max_backpressure) {
    w.output_blocked = false;
    resume_later(c);
  }
}

// The sweep: idle clients are pinged, then closed (1001); a close handshake the peer never answers ends.
void Loop::ws_timeouts(Connection& c, uint64_t now) {
  WsConn& w = *c.ws;
  if (send_stalled(c, now)) return;
  if (w.close_deadline_ms && now >= w.close_deadline_ms) {
    begin_close(c, 0);
    return;
  }
  if (!w.idle_timeout_ms || w.input_closed || w.close_sent) return;
  uint64_t quiet = now - w.last_input_ms;
  if (quiet >= w.idle_timeout_ms) {
    stats_.idle_timeouts++;
    ws_fail(c, ws::kGoingAway);
  } else if (w.send_pings && !w.ping_outstanding && quiet >= w.idle_timeout_ms / 2) {
    w.ping_outstanding = true;
    ws_send_frame(c, ws::kPing, nullptr, 0, false);
  }
}

}  // namespace ringside
