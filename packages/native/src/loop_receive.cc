// Receive: multishot recv into the driver's buffers, received bytes into the
// batch (TCP: DATA records here; HTTP: loop_http.cc), input kept in the
// connection's inbuf when the batch is full or JS paused it, ENOBUFS re-arm.
#include <errno.h>

#include <algorithm>

#include "event_records.h"
#include "loop.h"

namespace ringside {

void Loop::arm_recv(Connection& c) {
  io_uring_sqe* sqe = io_->get_sqe();
  sqe->opcode = IORING_OP_RECV;
  sqe->fd = c.fd;
  sqe->ioprio = IORING_RECV_MULTISHOT;
  sqe->flags = IOSQE_BUFFER_SELECT;
  sqe->buf_group = io_->group();
  sqe->user_data = encode_ud(UD_RECV, id_of(c));
  c.recv_armed = true;
  c.cancel_sent = false;
}

void Loop::on_recv(uint32_t id, const io_uring_cqe& cqe) {
  Connection* c = lookup(id);
  bool has_buf = cqe.flags & IORING_CQE_F_BUFFER;
  uint16_t bid = (uint16_t)(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  // Bytes of the buffer this completion used (the kernel may go on filling it).
  auto done_with_buffer = [&] {
    if (has_buf) io_->consumed(bid, cqe.res > 0 ? (size_t)cqe.res : 0, cqe.flags & IORING_CQE_F_BUF_MORE);
  };
  if (!c) {
    done_with_buffer();
    return;
  }
  if (!(cqe.flags & IORING_CQE_F_MORE)) c->recv_armed = false;
  if (cqe.res > 0) {
    stats_.bytes_read += (uint64_t)cqe.res;
    if (c->state == ConnState::Open && !c->linger_until_ms) input(*c, io_->buffer(bid), (size_t)cqe.res);
    // The bytes are copied out (batch or inbuf): the buffer goes back at once, never hoarded.
    done_with_buffer();
  } else if (cqe.res == 0) {
    c->peer_eof = true;
    // Input received before the FIN is still delivered first (input() reports the end after it).
    if (c->state == ConnState::Open && c->linger_until_ms)
      begin_close(*c, 0);
    else if (c->state == ConnState::Open)
      input(*c, nullptr, 0);
  } else if (cqe.res == -ENOBUFS) {
    // Back-pressure, not an error: buffers come back this turn; re-arm then.
    stats_.enobufs++;
    c->nobufs = true;
    waiting_.push_back(id);
  } else if (cqe.res != -ECANCELED) {
    if (c->state == ConnState::Open) begin_close(*c, cqe.res);
  }
  if (c->state == ConnState::Closing) {
    maybe_finish_close(*c);
    return;
  }
  if (c->wants_recv()) arm_recv(*c);
}

void Loop::rearm_waiting() {
  if (waiting_.empty()) return;
  std::vector<uint32_t> ids;
  ids.swap(waiting_);
  for (uint32_t id : ids) {
    Connection* c = lookup(id);
    if (!c || c->state != ConnState::Open) continue;
    if (c->needs_parse) {
      c->needs_parse = false;
      ensure_room();
      c = lookup(id);
      if (!c || c->state != ConnState::Open) continue;
      input(*c, nullptr, 0);
      if (c->state != ConnState::Open) continue;
    }
    if (c->nobufs) {
      c->nobufs = false;
      if (c->wants_recv()) arm_recv(*c);
    }
  }
}

void Loop::input(Connection& c, const uint8_t* p, size_t n) {
  c.active = true;
  if ((c.http && c.http->input_closed) || (c.ws && c.ws->input_closed)) return;  // nothing more is parsed: drop it
  // Input already waiting comes first: the new bytes join it.
  InputSpan in{p, n, !c.inbuf.empty() || p == nullptr};
  if (in.in_inbuf) {
    if (n) c.inbuf.insert(c.inbuf.end(), p, p + n);
    in.data = c.inbuf.data();
    in.len = c.inbuf.size();
  }
  if (c.ws)
    ws_input(c, in);
  else if (c.http)
    http_input(c, in);
  else
    tcp_input(c, in);
}

// Parse (or deliver) the rest of this connection's input in a later batch.
void Loop::resume_later(Connection& c) {
  if (c.needs_parse) return;
  c.needs_parse = true;
  waiting_.push_back(id_of(c));
}

// Keep in[pos, len) in c.inbuf for later; past `limit` bytes, stop reading
// the socket until it is consumed (memory per connection stays bounded).
void Loop::keep_input(Connection& c, const InputSpan& in, size_t pos, size_t limit) {
  if (pos >= in.len) {
    release(c.inbuf);
  } else if (in.in_inbuf) {
    c.inbuf.erase(c.inbuf.begin(), c.inbuf.begin() + (ptrdiff_t)pos);
  } else {
    c.inbuf.assign(in.data + pos, in.data + in.len);
  }
  bool too_much = c.inbuf.size() > limit;
  if (too_much && !c.parked) {
    c.parked = true;
    cancel_recv(c);
  } else if (!too_much && c.parked) {
    c.parked = false;
    if (c.wants_recv()) arm_recv(c);
  }
}

// TCP: DATA records as far as the batch has room, the rest kept for the next
// batch (or until JS resumes a paused connection); END only after every byte
// received before the FIN.
void Loop::tcp_input(Connection& c, const InputSpan& in) {
  const uint32_t id = id_of(c);
  size_t pos = 0;
  while (pos < in.len && !c.paused && batch_.room(1, 1, 0)) {
    uint32_t take = (uint32_t)std::min<size_t>(in.len - pos, batch_.data_room());
    uint32_t off = batch_.copy(in.data + pos, take);
    write_data(batch_.next_event(), id, off, take);
    pos += take;
  }
  keep_input(c, in, pos, 2 * (size_t)cfg_.buffer_size);
  if (!c.inbuf.empty()) {
    if (!c.paused) resume_later(c);
    return;
  }
  if (c.peer_eof && !c.eof_reported) {
    if (!batch_.room(1, 0, 0)) {
      resume_later(c);
      return;
    }
    c.eof_reported = true;
    write_end(batch_.next_event(), id);
    if (c.write_shut) begin_close(c, 0);
  }
}

void Loop::cancel_recv(Connection& c) {
  if (!c.recv_armed || c.cancel_sent) return;
  io_uring_sqe* sqe = io_->get_sqe();
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = -1;
  sqe->addr = encode_ud(UD_RECV, id_of(c));
  sqe->user_data = encode_ud(UD_CANCEL, id_of(c));
  c.cancel_sent = true;
}

void Loop::pause_recv(Connection& c) {
  c.paused = true;
  cancel_recv(c);
}

void Loop::resume_recv(Connection& c) {
  if (!c.paused) return;
  c.paused = false;
  if (!c.inbuf.empty()) resume_later(c);
  if (c.wants_recv()) arm_recv(c);
}

}  // namespace ringside
