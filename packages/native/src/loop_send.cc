// Send: per-connection queues, one send in flight per socket (short sends
// continue in order), what happens when a queue empties (DRAIN, FIN, the
// lingering close), and the JS output records that feed it all.
#include <sys/socket.h>

#include <algorithm>

#include "event_records.h"
#include "loop.h"
#include "transport_limits.h"

namespace ringside {

// Bytes join the pending queue; kick_sends() starts one send per connection
// right before the next enter, so everything queued in a turn (pipelined
// responses, several writes) leaves in one send.
void Loop::queue_send(Connection& c, const uint8_t* p, size_t n) {
  if (c.state != ConnState::Open || c.write_shut || c.close_after_send || n == 0) return;
  c.active = true;
  // The send-stall deadline counts from the moment output starts waiting.
  if (!c.send_inflight && c.queued() == 0) c.send_progress_ms = now_ms_;
  c.pending.insert(c.pending.end(), p, p + n);
  if (!c.send_inflight && !c.kick) {
    c.kick = true;
    kicks_.push_back(id_of(c));
  }
  set_queued(c);
}

void Loop::kick_sends() {
  for (size_t i = 0; i < kicks_.size(); i++) {
    Connection* c = lookup(kicks_[i]);
    if (!c) continue;
    c->kick = false;
    if (c->state != ConnState::Open || c->send_inflight || c->pending.empty()) continue;
    c->sending.swap(c->pending);
    c->sent = 0;
    start_send(*c);
  }
  kicks_.clear();
}

void Loop::start_send(Connection& c) {
  io_uring_sqe* sqe = io_->get_sqe();
  sqe->opcode = IORING_OP_SEND;
  sqe->fd = c.fd;
  sqe->addr = (uint64_t)(c.sending.data() + c.sent);
  sqe->len = (uint32_t)std::min<size_t>(c.sending.size() - c.sent, 1u << 30);
  sqe->msg_flags = MSG_NOSIGNAL;
  sqe->user_data = encode_ud(UD_SEND, id_of(c));
  c.send_inflight = true;
}

void Loop::on_send(uint32_t id, const io_uring_cqe& cqe) {
  Connection* c = lookup(id);
  if (!c) return;
  c->send_inflight = false;
  if (cqe.res < 0) {
    if (c->state == ConnState::Open) begin_close(*c, cqe.res == -ECANCELED ? 0 : cqe.res);
    if (c->state == ConnState::Closing) maybe_finish_close(*c);
    return;
  }
  stats_.bytes_written += (uint64_t)cqe.res;
  c->sent += (size_t)cqe.res;
  if (cqe.res > 0) c->send_progress_ms = now_ms_;
  if (c->state == ConnState::Closing) {
    // Destroyed while sending: drop the rest.
    maybe_finish_close(*c);
    return;
  }
  if (c->sent < c->sending.size()) {
    start_send(*c);  // short send: the rest goes next, still in order
  } else if (!c->pending.empty()) {
    c->sending.swap(c->pending);
    release(c->pending);
    c->sent = 0;
    start_send(*c);
  } else {
    release(c->sending);
    c->sent = 0;
    after_queue_empty(*c);
  }
  if (c->state == ConnState::Open) {
    set_queued(*c);
    if (c->http)
      http_output_progress(*c);
    else if (c->ws)
      ws_output_progress(*c);
  }
}

void Loop::after_queue_empty(Connection& c) {
  if (c.want_drain) {
    c.want_drain = false;
    write_drain(late_record(), id_of(c));
  }
  if (c.close_after_send) {
    // Lingering close: send FIN, then read and drop until the peer closes
    // (or the linger time ends), so unread input never turns into an RST that
    // destroys the answer (a 400 or a Connection: close response) in flight.
    if (c.peer_eof || c.write_shut) {
      begin_close(c, 0);
      return;
    }
    c.write_shut = true;
    c.linger_until_ms = now() + kLingerMs;
    ::shutdown(c.fd, SHUT_WR);
    if (c.http) c.http->input_closed = true;
    c.paused = false;
    c.parked = false;
    if (c.wants_recv()) arm_recv(c);
  } else if (c.end_after_send && !c.write_shut) {
    c.write_shut = true;
    ::shutdown(c.fd, SHUT_WR);
    if (c.peer_eof) begin_close(c, 0);
  }
}

// ---- JS output records -------------------------------------------------------------

void Loop::flush_out() {
  int32_t* out = mem_.out;
  if (!out || out[OH_COUNT] == 0 || !ready()) return;
  uint32_t count = (uint32_t)out[OH_COUNT];
  if (count > mem_.out_cap) count = mem_.out_cap;
  now_ms_ = monotonic_ms();  // JS may flush long after the last turn (timers): deadlines start from now
  // Reset first: a record's handling never calls back into JS, but be safe against re-entry.
  out[OH_COUNT] = 0;
  out[OH_BYTES] = 0;
  for (uint32_t i = 0; i < count; i++) {
    const OutRecord r = read_out(out + kOutHeaderWords + (size_t)i * kOutWords);
    bool in_area = (uint64_t)r.off + r.len <= mem_.out_data_cap;
    apply_out(r.op, r.flags, r.conn, in_area ? mem_.out_data + r.off : nullptr, in_area ? r.len : 0);
  }
}

void Loop::apply_out(int32_t op, int32_t flags, uint32_t conn, const uint8_t* p, size_t n) {
  if (op == OP_WS_PUBLISH) {
    ws_publish(conn, p, n, flags);
    return;
  }
  Connection* c = lookup(conn);
  if (!c || c->state != ConnState::Open) return;
  switch (op) {
    case OP_WRITE:
    case OP_WRITE_WANT_DRAIN: {
      if (p) queue_send(*c, p, n);
      if (op == OP_WRITE_WANT_DRAIN) {
        c->want_drain = true;
        if (!c->send_inflight && c->queued() == 0) after_queue_empty(*c);
      }
      if ((flags & kOpFlagResponseDone) && c->http && c->state == ConnState::Open) http_response_done(*c);
      break;
    }
    case OP_END:
      c->end_after_send = true;
      if (!c->send_inflight && c->queued() == 0) after_queue_empty(*c);
      break;
    case OP_END_CLOSE:
      c->close_after_send = true;
      if (!c->send_inflight && c->queued() == 0) after_queue_empty(*c);
      break;
    case OP_DESTROY: begin_close(*c, 0); break;
    case OP_PAUSE: pause_recv(*c); break;
    case OP_RESUME: resume_recv(*c); break;
    case OP_RESPONSE_DONE:
      if (c->http) http_response_done(*c);
      break;
    case OP_DISCARD_BODY:
      if (c->http) c->http->discard_body = true;
      break;
    case OP_WS_ACCEPT: ws_accept(*c, p, n); break;
    case OP_WS_SEND:
      if (c->ws && !c->ws->close_sent)
        ws_send_frame(*c, (flags & kOpFlagWsBinary) ? ws::kBinary : ws::kText, p, n, flags & kOpFlagWsCompress);
      break;
    case OP_WS_PING:
      if (c->ws && !c->ws->close_sent) ws_send_frame(*c, ws::kPing, p, std::min<size_t>(n, 125), false);
      break;
    case OP_WS_CLOSE:
      if (c->ws) ws_send_close(*c, p, n);
      break;
    case OP_WS_SUBSCRIBE:
      if (c->ws) ws_subscribe(*c, std::string_view((const char*)p, p ? n : 0));
      break;
    case OP_WS_UNSUBSCRIBE:
      if (c->ws) ws_unsubscribe(*c, std::string_view((const char*)p, p ? n : 0));
      break;
  }
}

}  // namespace ringside
