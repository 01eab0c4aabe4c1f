// Close: cancel whatever the kernel holds for the fd, close once the last
// completion is in, free the slot (new generation) and report CLOSE.
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "event_records.h"
#include "loop.h"

namespace ringside {

void Loop::begin_close(Connection& c, int error) {
  if (c.state != ConnState::Open) return;
  c.state = ConnState::Closing;
  c.close_error = error;
  c.paused = true;
  // Cancel whatever the kernel still holds for this fd; close once the last completion is in.
  // (A recv-only cancel from pause() may be out already; this one also takes a blocked send.)
  if (c.recv_armed || c.send_inflight) {
    io_uring_sqe* sqe = io_->get_sqe();
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = c.fd;
    sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
    sqe->user_data = encode_ud(UD_CANCEL, id_of(c));
    c.cancel_sent = true;
  }
  maybe_finish_close(c);
}

// Send what is queued, then close (lingering: FIN first, see after_queue_empty).
void Loop::finish_then_close(Connection& c) {
  c.close_after_send = true;
  if (!c.send_inflight && c.queued() == 0) after_queue_empty(c);
}

void Loop::maybe_finish_close(Connection& c) {
  if (c.state != ConnState::Closing || c.recv_armed || c.send_inflight) return;
  ::close(c.fd);
  c.fd = -1;
  uint32_t id = id_of(c);
  uint32_t slot = slot_of(c);
  int err = c.close_error;
  c.http.reset();
  ws_forget(c);
  c.ws.reset();
  std::vector<uint8_t>().swap(c.inbuf);
  std::vector<uint8_t>().swap(c.sending);
  std::vector<uint8_t>().swap(c.pending);
  c.state = ConnState::Free;
  c.gen = (c.gen + 1) & ((1u << (32 - kSlotBits)) - 1);
  mem_.queued[slot] = 0;
  free_slots_.push_back(slot);
  stats_.connections--;
  write_close(late_record(), id, err);
}

void Loop::close_all() {
  for (uint32_t i = 0; i < conns_.size(); i++) {
    Connection& c = conns_[i];
    if (c.state == ConnState::Open) begin_close(c, 0);
  }
  for (size_t i = 0; i < listeners_.size(); i++)
    if (listeners_[i].in_use && !listeners_[i].closing) close_listener((int)i);
  // Collect the final completions of what was cancelled.
  kicks_.clear();
  for (int round = 0; round < 64; round++) {
    io_->enter(true);
    io_uring_cqe cqe;
    bool any = false;
    while (io_->pop_cqe(cqe)) {
      any = true;
      uint32_t id = decode_ud_id(cqe.user_data);
      switch (decode_ud_op(cqe.user_data)) {
        case UD_ACCEPT: on_accept((uint16_t)id, cqe); break;
        case UD_RECV: on_recv(id, cqe); break;
        case UD_SEND: on_send(id, cqe); break;
        default: break;
      }
    }
    io_->publish();
    if (!any && stats_.connections == 0) break;
    if (!any) {
      timespec ts{0, 1000000};
      nanosleep(&ts, nullptr);
    }
  }
  deferred_.clear();
  batch_.reset();
}

}  // namespace ringside
