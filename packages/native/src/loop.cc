// The loop's core: set-up, the turn (enter, reap, dispatch completions,
// deliver batches), the batch's late records, and the connection table.
#include "loop.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "epoll_driver.h"

namespace ringside {

// Enter/reap rounds per wake-up before yielding to libuv.
constexpr int kMaxRounds = 64;

uint64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

// ---- set-up ------------------------------------------------------------------

int Loop::init(const LoopConfig& cfg, const SharedMemory& mem, Deliver deliver, void* ctx, std::string& why) {
  cfg_ = cfg;
  mem_ = mem;
  deliver_fn_ = deliver;
  deliver_ctx_ = ctx;
  int r;
  if (cfg.epoll) {
    auto ep = std::make_unique<EpollDriver>();
    r = ep->init(cfg.buffer_size, why);
    io_ = std::move(ep);
  } else {
    auto ur = std::make_unique<UringDriver>();
    r = ur->init(cfg.entries, cfg.buffer_count, cfg.buffer_size, cfg.incremental_buffers, why);
    io_ = std::move(ur);
  }
  if (r < 0) {
    io_.reset();
    return r;
  }
  // io_uring: with DEFER_TASKRUN, completions wait until we enter with
  // GETEVENTS; the registered eventfd is the documented wake-up for that mode,
  // and the only thing libuv polls for us. epoll: the eventfd joins the epoll
  // set, and libuv polls the epoll fd. Either way the loop can wake itself.
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0 || (r = io_->register_eventfd(event_fd_)) < 0) {
    why = std::string("eventfd registration failed: ") + strerror(errno);
    destroy();
    return -EIO;
  }
  auto cap = [](unsigned want, uint32_t have) { return want ? std::min<uint32_t>(want, have) : have; };
  batch_.events = mem.events;
  batch_.event_cap = cap(cfg.batch_events, mem.event_cap);
  batch_.data = mem.data;
  batch_.data_cap = cap(cfg.batch_data, mem.data_cap);
  batch_.fields = mem.fields;
  batch_.field_cap = cap(cfg.batch_fields, mem.field_cap);
  batch_.reset();
  conns_.clear();
  free_slots_.clear();
  max_slots_ = std::min(cfg.max_connections, mem.queued_cap);
  grow_slots();
  high_slot_ = 0;
  // What ensure_room() keeps free before each completion: one full buffer and
  // its records usually fit without parking (parking stays correct, only slower).
  reserve_bytes_ = std::min<uint32_t>(cfg.buffer_size + 512, batch_.data_cap / 2);
  reserve_events_ = std::min<uint32_t>(8, batch_.event_cap / 2);
  now_ms_ = monotonic_ms();
  // release_when_quiet() samples the event rate from here (a restarted loop starts a new spell).
  sample_ms_ = now_ms_;
  sample_events_ = stats_.events;
  last_busy_ms_ = spell_events_ = 0;
  trim_next_sample_ = false;
  return 0;
}

void Loop::destroy() {
  if (ready()) close_all();
  for (auto& l : listeners_)
    if (l.in_use && l.fd >= 0) ::close(l.fd);
  listeners_.clear();
  live_listeners_ = 0;
  io_.reset();
  if (event_fd_ >= 0) ::close(event_fd_);
  event_fd_ = -1;
}

// ---- the turn ------------------------------------------------------------------

void Loop::on_wakeup() {
  // One read resets the eventfd counter, however many completions signalled it.
  uint64_t v;
  if (read(event_fd_, &v, sizeof v) < 0 && errno != EAGAIN) return;
  turn();
}

void Loop::on_prepare() {
  // Writes queued by timers and promises go out before libuv sleeps.
  flush_out();
  if (!deferred_.empty() || !batch_.empty()) deliver();
  if (ready() && (io_->pending_sqes() || !kicks_.empty())) submit(false);
  // Input parked by a resume() or a finished response is parsed in a turn;
  // with no network event coming to start one, start it ourselves.
  if (!waiting_.empty()) {
    uint64_t one = 1;
    if (::write(event_fd_, &one, sizeof one) < 0) {}
  }
}

void Loop::turn() {
  if (in_turn_ || !ready()) return;
  in_turn_ = true;
  now_ms_ = monotonic_ms();
  // Repeat until a round reaps nothing: one enter runs only part of the
  // deferred work (the kernel caps it, ~20 items since 6.13, and parks the
  // rest on a retry list that signals nobody), so stopping early would leave
  // completions waiting for an unrelated wake-up.
  int round = 0;
  bool more = false;
  io_->set_eventfd_muted(true);
  for (; round < kMaxRounds && ready(); round++) {
    flush_out();
    int r = submit(true);
    // Completions of our own sends (posted inline by this very enter) do not
    // mean the kernel holds more deferred work; recv/accept completions may.
    unsigned seen = 0;
    io_uring_cqe cqe;
    while (ready() && io_->pop_cqe(cqe)) {
      if (decode_ud_op(cqe.user_data) != UD_SEND) seen++;
      ensure_room();
      if (!ready()) break;
      uint32_t id = decode_ud_id(cqe.user_data);
      switch (decode_ud_op(cqe.user_data)) {
        case UD_ACCEPT: on_accept((uint16_t)id, cqe); break;
        case UD_RECV: on_recv(id, cqe); break;
        case UD_SEND: on_send(id, cqe); break;
        case UD_LISTENER_CANCEL:
        case UD_CANCEL:
        case UD_SHUTDOWN: break;
      }
    }
    if (!ready()) break;
    io_->publish();
    rearm_waiting();
    if (!batch_.empty() || !deferred_.empty()) deliver();
    flush_out();
    if (io_->cq_overflowed()) stats_.cq_overflows++;
    more = seen > 0 || !batch_.empty() || !deferred_.empty() || !waiting_.empty() || io_->task_work_pending() ||
           io_->cq_overflowed();
    if (!more || r < 0) break;
  }
  if (!ready()) {
    in_turn_ = false;
    return;
  }
  // Unmute; work queued while muted raised the TASKRUN flag but no signal, so
  // look once more. Still busy after many rounds: let libuv run its other
  // handles, and come back at once.
  io_->set_eventfd_muted(false);
  if (io_->task_work_pending()) more = true;
  if (more) {
    uint64_t one = 1;
    if (::write(event_fd_, &one, sizeof one) < 0) {}
  }
  if (!batch_.empty() || !deferred_.empty()) deliver();
  if (ready() && (io_->pending_sqes() || !kicks_.empty())) submit(false);
  in_turn_ = false;
}

// Sends queued this turn start now, then one enter submits everything.
int Loop::submit(bool getevents) {
  kick_sends();
  stats_.enters++;
  return io_->enter(getevents);
}

// ---- the batch -------------------------------------------------------------------

// Before each completion: deferred events go first (a CLOSE must precede the
// OPEN that reuses its slot), and a nearly full batch is delivered so one
// completion's records usually fit. Producers still check room themselves.
void Loop::ensure_room() {
  move_deferred();
  if (!deferred_.empty() || !batch_.room(reserve_events_, reserve_bytes_ + 64, 0)) {
    io_->publish();
    deliver();
  }
}

// Deferred events into the batch, oldest first; what does not fit waits for the next batch.
void Loop::move_deferred() {
  size_t i = 0;
  for (; i + kEventWords <= deferred_.size() && batch_.room(1, 0, 0); i += kEventWords) {
    memcpy(batch_.next_event(), &deferred_[i], kEventWords * sizeof(int32_t));
  }
  deferred_.erase(deferred_.begin(), deferred_.begin() + (ptrdiff_t)i);
}

void Loop::deliver() {
  if (js_depth_ > 0) return;
  // JS may raise more events (closes, drains) while it runs; they follow in
  // further batches, a bounded number of times, then wait for the next turn.
  for (int round = 0; round < 16; round++) {
    move_deferred();
    if (batch_.empty()) return;
    uint32_t count = batch_.event_count;
    stats_.batches++;
    stats_.events += count;
    js_depth_++;
    deliver_fn_(deliver_ctx_, count);
    js_depth_--;
    batch_.reset();
    if (deferred_.empty()) return;
  }
}

// Events raised outside a completion (from JS's flush or the sweep) wait in
// deferred_ so they never land in a batch JS is reading; in a turn with room
// and nothing deferred before them, they go straight into the batch.
int32_t* Loop::late_record() {
  if (in_turn_ && js_depth_ == 0 && deferred_.empty() && batch_.room(1, 0, 0)) return batch_.next_event();
  size_t at = deferred_.size();
  deferred_.resize(at + kEventWords, 0);
  return &deferred_[at];
}

// ---- the connection table -----------------------------------------------------------

// The table starts small and doubles on demand (idle servers stay small);
// it only grows in on_accept, where no Connection reference is held.
void Loop::grow_slots() {
  uint32_t have = (uint32_t)conns_.size();
  uint32_t want = std::min<uint32_t>(max_slots_, have ? have * 2 : 1024);
  if (want <= have) return;
  conns_.resize(want);
  for (uint32_t i = want; i-- > have;) free_slots_.push_back(i);
}

Connection* Loop::lookup(uint32_t id) {
  uint32_t slot = decode_slot(id);
  if (slot >= conns_.size()) return nullptr;
  Connection& c = conns_[slot];
  if (c.state == ConnState::Free || c.gen != decode_gen(id)) return nullptr;
  return &c;
}

}  // namespace ringside
