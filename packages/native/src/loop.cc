#include "loop.h"

#include "epoll_driver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

namespace ringside {

// Shrink per-connection buffers above this after use, so idle connections stay small.
constexpr size_t kKeepCapacity = 64 * 1024;
// How long a closing connection waits for the peer's FIN before closing anyway.
constexpr uint64_t kLingerMs = 2000;
// Enter/reap rounds per wake-up before yielding to libuv.
constexpr int kMaxRounds = 64;

uint64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void release(std::vector<uint8_t>& v) {
  if (v.capacity() > kKeepCapacity) std::vector<uint8_t>().swap(v);
  else v.clear();
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
    r = ur->init(cfg.entries, cfg.buffer_count, cfg.buffer_size, why);
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

static int parse_address(const std::string& host, int port, sockaddr_storage& ss, socklen_t& len) {
  memset(&ss, 0, sizeof ss);
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty() || h == "localhost") h = h.empty() ? "0.0.0.0" : "127.0.0.1";
  auto* v4 = (sockaddr_in*)&ss;
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    len = sizeof(sockaddr_in);
    return 0;
  }
  auto* v6 = (sockaddr_in6*)&ss;
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    len = sizeof(sockaddr_in6);
    return 0;
  }
  return -EINVAL;
}

int Loop::listen(const ListenConfig& cfg, int& port_out, std::string& address_out, int& family_out, std::string& why) {
  sockaddr_storage ss;
  socklen_t len;
  if (cfg.http && !fits_batch(cfg.http_options.limits, why)) return -EINVAL;
  if (parse_address(cfg.host, cfg.port, ss, len) < 0) {
    why = "host must be an IPv4 or IPv6 address (or 'localhost'), got '" + cfg.host + "'";
    return -EINVAL;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { why = std::string("socket: ") + strerror(errno); return -errno; }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (cfg.reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (ss.ss_family == AF_INET6) {
    int v6only = cfg.ipv6_only ? 1 : 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  }
  if (bind(fd, (sockaddr*)&ss, len) < 0 || ::listen(fd, cfg.backlog) < 0) {
    int e = errno;
    why = std::string(e == EADDRINUSE ? "address already in use" : strerror(e)) + " (" + cfg.host + ":" + std::to_string(cfg.port) + ")";
    ::close(fd);
    return -e;
  }
  sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, (sockaddr*)&bound, &blen);
  char text[INET6_ADDRSTRLEN] = {0};
  if (bound.ss_family == AF_INET) {
    port_out = ntohs(((sockaddr_in*)&bound)->sin_port);
    inet_ntop(AF_INET, &((sockaddr_in*)&bound)->sin_addr, text, sizeof text);
    family_out = 4;
  } else {
    port_out = ntohs(((sockaddr_in6*)&bound)->sin6_port);
    inet_ntop(AF_INET6, &((sockaddr_in6*)&bound)->sin6_addr, text, sizeof text);
    family_out = 6;
  }
  address_out = text;
  uint16_t id = 0;
  while (id < listeners_.size() && listeners_[id].in_use) id++;
  if (id == listeners_.size()) listeners_.emplace_back();
  Listener& l = listeners_[id];
  l = Listener{};
  l.fd = fd;
  l.in_use = true;
  l.http = cfg.http;
  l.http_options = cfg.http_options;
  live_listeners_++;
  if (cfg.http) {
    if (field_tmp_.size() < cfg.http_options.limits.max_headers + 1) field_tmp_.resize(cfg.http_options.limits.max_headers + 1);
    // The sweep ticks often enough for the smallest timeout to be ±25%.
    const HttpOptions& o = cfg.http_options;
    for (uint32_t t : {o.headers_timeout_ms, o.request_timeout_ms, o.keep_alive_timeout_ms, o.send_timeout_ms})
      if (t) tick_ms_ = std::max(50u, std::min(tick_ms_, t / 4));
  }
  arm_accept(id);
  submit(false);
  return id;
}

// Any one request head must fit an empty batch, or it could never be delivered.
// Capacities shrunk for tests grow to what the limits need, up to the arrays.
bool Loop::fits_batch(const http::Limits& limits, std::string& why) {
  const uint32_t events = 4, bytes = limits.max_head_bytes + 64, fields = limits.max_headers;
  if (events > mem_.event_cap || bytes > mem_.data_cap || fields > mem_.field_cap) {
    why = "the event batch cannot hold one request head at these limits (maxHeaderSize " + std::to_string(limits.max_head_bytes) +
          " needs " + std::to_string(bytes) + " of " + std::to_string(mem_.data_cap) + " bytes, maxHeaders " + std::to_string(fields) +
          " of " + std::to_string(mem_.field_cap) + " fields)";
    return false;
  }
  batch_.event_cap = std::max(batch_.event_cap, events);
  batch_.data_cap = std::max(batch_.data_cap, bytes);
  batch_.field_cap = std::max(batch_.field_cap, fields);
  return true;
}

void Loop::close_listener(int id) {
  if (id < 0 || (size_t)id >= listeners_.size() || !listeners_[id].in_use || listeners_[id].closing) return;
  Listener& l = listeners_[id];
  l.closing = true;
  live_listeners_--;
  if (l.armed) {
    io_uring_sqe* sqe = io_->get_sqe();
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = encode_ud(UD_ACCEPT, (uint32_t)id);
    sqe->user_data = encode_ud(UD_LISTENER_CANCEL, (uint32_t)id);
    submit(false);
  } else {
    ::close(l.fd);
    l = Listener{};
  }
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
    more = seen > 0 || !batch_.empty() || !deferred_.empty() || !waiting_.empty() || io_->task_work_pending() || io_->cq_overflowed();
    if (!more || r < 0) break;
  }
  if (!ready()) { in_turn_ = false; return; }
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
    int32_t* e = batch_.events + (size_t)batch_.event_count++ * kEventWords;
    memcpy(e, &deferred_[i], kEventWords * sizeof(int32_t));
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

// Events raised outside a completion (from JS's flush or the sweep) wait here
// so they never land in a batch JS is reading.
void Loop::emit_simple(int32_t type, uint32_t id, int32_t a, int32_t b, int32_t c) {
  if (in_turn_ && js_depth_ == 0 && deferred_.empty() && batch_.room(1, 0, 0)) {
    int32_t* e = batch_.push(type, id);
    e[2] = a;
    e[3] = b;
    e[4] = c;
    return;
  }
  size_t at = deferred_.size();
  deferred_.resize(at + kEventWords, 0);
  deferred_[at] = type;
  deferred_[at + 1] = (int32_t)id;
  deferred_[at + 2] = a;
  deferred_[at + 3] = b;
  deferred_[at + 4] = c;
}

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

// ---- accept ----------------------------------------------------------------------

void Loop::arm_accept(uint16_t lid) {
  Listener& l = listeners_[lid];
  io_uring_sqe* sqe = io_->get_sqe();
  sqe->opcode = IORING_OP_ACCEPT;
  sqe->fd = l.fd;
  sqe->ioprio = IORING_ACCEPT_MULTISHOT;
  sqe->accept_flags = SOCK_CLOEXEC;
  sqe->user_data = encode_ud(UD_ACCEPT, lid);
  l.armed = true;
}

void Loop::on_accept(uint16_t lid, const io_uring_cqe& cqe) {
  if (lid >= listeners_.size()) { if (cqe.res >= 0) ::close(cqe.res); return; }
  Listener& l = listeners_[lid];
  if (!(cqe.flags & IORING_CQE_F_MORE)) l.armed = false;
  if (cqe.res >= 0) {
    int fd = cqe.res;
    if (free_slots_.empty()) grow_slots();
    if (l.closing || free_slots_.empty()) {
      ::close(fd);
      stats_.refused++;
    } else {
      uint32_t slot = free_slots_.back();
      free_slots_.pop_back();
      if (slot + 1 > high_slot_) high_slot_ = slot + 1;
      Connection& c = conns_[slot];
      uint32_t gen = c.gen;
      c.~Connection();
      new (&c) Connection();
      c.gen = gen;
      c.fd = fd;
      c.state = ConnState::Open;
      c.listener = lid;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      stats_.accepted++;
      stats_.connections++;
      mem_.queued[slot] = 0;
      sockaddr_storage ss;
      socklen_t len = sizeof ss;
      char text[INET6_ADDRSTRLEN] = {0};
      int port = 0, family = 4;
      if (getpeername(fd, (sockaddr*)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
          auto* a = (sockaddr_in6*)&ss;
          // Dual-stack listeners see IPv4 clients as ::ffff:a.b.c.d; report them as IPv4 like node.
          if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], text, sizeof text);
          else { inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text); family = 6; }
          port = ntohs(a->sin6_port);
        } else {
          auto* a = (sockaddr_in*)&ss;
          inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
          port = ntohs(a->sin_port);
        }
      }
      uint32_t n = (uint32_t)strlen(text);
      uint32_t off = batch_.copy(text, n);
      int32_t* e = batch_.push(EV_OPEN, id_of(c));
      e[2] = lid;
      e[3] = (int32_t)off;
      e[4] = (int32_t)n;
      e[5] = port;
      e[6] = family;
      if (l.http) {
        c.http = std::make_unique<HttpConn>();
        c.http->idle_since_ms = now_ms_;
        c.http->chunked.reset(l.http_options.limits.max_body_bytes);
      }
      arm_recv(c);
    }
  } else if (cqe.res != -ECANCELED && !l.closing) {
    // EMFILE/ENFILE/ENOMEM: the listener stays; the sweep re-arms it after a tick.
    if (!(cqe.flags & IORING_CQE_F_MORE)) return;
  }
  if (!l.armed) {
    if (l.closing) {
      ::close(l.fd);
      l = Listener{};
    } else if (cqe.res >= 0 || cqe.res == -ECANCELED) {
      arm_accept(lid);
    }
  }
}

// ---- recv ------------------------------------------------------------------------

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
  if (!c) { if (has_buf) io_->recycle(bid); return; }
  if (!(cqe.flags & IORING_CQE_F_MORE)) c->recv_armed = false;
  if (cqe.res > 0) {
    stats_.bytes_read += (uint64_t)cqe.res;
    if (c->state == ConnState::Open && !c->linger_until_ms) input(*c, io_->buffer(bid), (size_t)cqe.res);
    // The bytes are copied out (batch or inbuf): the buffer goes back at once, never hoarded.
    if (has_buf) io_->recycle(bid);
  } else if (cqe.res == 0) {
    c->peer_eof = true;
    // Input received before the FIN is still delivered first (input() reports the end after it).
    if (c->state == ConnState::Open && c->linger_until_ms) begin_close(*c, 0);
    else if (c->state == ConnState::Open) input(*c, nullptr, 0);
  } else if (cqe.res == -ENOBUFS) {
    // Back-pressure, not an error: buffers come back this turn; re-arm then.
    stats_.enobufs++;
    c->nobufs = true;
    waiting_.push_back(id);
  } else if (cqe.res != -ECANCELED) {
    if (c->state == ConnState::Open) begin_close(*c, cqe.res);
  }
  if (c->state == ConnState::Closing) { maybe_finish_close(*c); return; }
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
  if (c.http && c.http->input_closed) return;  // nothing more is parsed: drop it
  // Input already waiting comes first: the new bytes join it.
  InputSpan in{p, n, !c.inbuf.empty() || p == nullptr};
  if (in.in_inbuf) {
    if (n) c.inbuf.insert(c.inbuf.end(), p, p + n);
    in.data = c.inbuf.data();
    in.len = c.inbuf.size();
  }
  if (c.http) http_input(c, in);
  else tcp_input(c, in);
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
    if (c.inbuf.capacity() > kKeepCapacity) std::vector<uint8_t>().swap(c.inbuf);
    else c.inbuf.clear();
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
    int32_t* e = batch_.push(EV_DATA, id);
    e[2] = (int32_t)off;
    e[3] = (int32_t)take;
    pos += take;
  }
  keep_input(c, in, pos, 2 * (size_t)cfg_.buffer_size);
  if (!c.inbuf.empty()) { if (!c.paused) resume_later(c); return; }
  if (c.peer_eof && !c.eof_reported) {
    if (!batch_.room(1, 0, 0)) { resume_later(c); return; }
    c.eof_reported = true;
    batch_.push(EV_END, id);
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

// ---- send ------------------------------------------------------------------------

// Bytes join the pending queue; kick_sends() starts one send per connection
// right before the next enter, so everything queued in a turn (pipelined
// responses, several writes) leaves in one send.
void Loop::queue_send(Connection& c, const uint8_t* p, size_t n) {
  if (c.state != ConnState::Open || c.write_shut || c.close_after_send || n == 0) return;
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

int Loop::submit(bool getevents) {
  kick_sends();
  stats_.enters++;
  return io_->enter(getevents);
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
    if (c->http) http_output_progress(*c);
  }
}

void Loop::after_queue_empty(Connection& c) {
  if (c.want_drain) {
    c.want_drain = false;
    emit_simple(EV_DRAIN, id_of(c));
  }
  if (c.close_after_send) {
    // Lingering close: send FIN, then read and drop until the peer closes
    // (or the linger time ends), so unread input never turns into an RST that
    // destroys the answer (a 400 or a Connection: close response) in flight.
    if (c.peer_eof || c.write_shut) { begin_close(c, 0); return; }
    c.write_shut = true;
    c.linger_until_ms = (now_ms_ ? now_ms_ : monotonic_ms()) + kLingerMs;
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

int Loop::write(uint32_t id, const uint8_t* p, size_t n, bool want_drain) {
  Connection* c = lookup(id);
  if (!c || c->state != ConnState::Open) return -1;
  queue_send(*c, p, n);
  if (want_drain) {
    c->want_drain = true;
    if (!c->send_inflight && c->queued() == 0) after_queue_empty(*c);
  }
  return 0;
}

// ---- JS output records -------------------------------------------------------------

void Loop::flush_out() {
  int32_t* out = mem_.out;
  if (!out || out[0] == 0 || !ready()) return;
  uint32_t count = (uint32_t)out[0];
  if (count > mem_.out_cap) count = mem_.out_cap;
  now_ms_ = monotonic_ms();  // JS may flush long after the last turn (timers): deadlines start from now
  // Reset first: a record's handling never calls back into JS, but be safe against re-entry.
  out[0] = 0;
  out[1] = 0;
  for (uint32_t i = 0; i < count; i++) {
    const int32_t* r = out + kOutHeaderWords + (size_t)i * kOutWords;
    Connection* c = lookup((uint32_t)r[1]);
    if (!c || c->state != ConnState::Open) continue;
    const int32_t op = r[0] & ~kOpFlagResponseDone;
    switch (op) {
      case OP_WRITE:
      case OP_WRITE_WANT_DRAIN: {
        uint32_t off = (uint32_t)r[2], len = (uint32_t)r[3];
        if ((uint64_t)off + len <= mem_.out_data_cap) queue_send(*c, mem_.out_data + off, len);
        if (op == OP_WRITE_WANT_DRAIN) {
          c->want_drain = true;
          if (!c->send_inflight && c->queued() == 0) after_queue_empty(*c);
        }
        if ((r[0] & kOpFlagResponseDone) && c->http && c->state == ConnState::Open) http_response_done(*c);
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
      case OP_RESPONSE_DONE: if (c->http) http_response_done(*c); break;
      case OP_DISCARD_BODY: if (c->http) c->http->discard_body = true; break;
    }
  }
}

// ---- close -----------------------------------------------------------------------

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

void Loop::maybe_finish_close(Connection& c) {
  if (c.state != ConnState::Closing || c.recv_armed || c.send_inflight) return;
  ::close(c.fd);
  c.fd = -1;
  uint32_t id = id_of(c);
  uint32_t slot = slot_of(c);
  int err = c.close_error;
  c.http.reset();
  std::vector<uint8_t>().swap(c.inbuf);
  std::vector<uint8_t>().swap(c.sending);
  std::vector<uint8_t>().swap(c.pending);
  c.state = ConnState::Free;
  c.gen = (c.gen + 1) & ((1u << (32 - kSlotBits)) - 1);
  mem_.queued[slot] = 0;
  free_slots_.push_back(slot);
  stats_.connections--;
  emit_simple(EV_CLOSE, id, err);
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

// ---- timers ----------------------------------------------------------------------

void Loop::on_tick() {
  if (!ready()) return;
  now_ms_ = monotonic_ms();
  for (size_t i = 0; i < listeners_.size(); i++) {
    Listener& l = listeners_[i];
    if (l.in_use && !l.closing && !l.armed) arm_accept((uint16_t)i);  // after EMFILE and friends
  }
  for (uint32_t s = 0; s < high_slot_; s++) {
    Connection& c = conns_[s];
    if (c.state != ConnState::Open) continue;
    if (c.http) http_timeouts(c, now_ms_);
    if (c.state == ConnState::Open && c.linger_until_ms && now_ms_ >= c.linger_until_ms) begin_close(c, 0);
  }
  if (!deferred_.empty()) deliver();
  if (io_->pending_sqes() || !kicks_.empty()) submit(false);
}

}  // namespace ringside
