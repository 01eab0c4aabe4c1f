// Listeners and accept: bind and listen, multishot accept, one OPEN record
// per accepted connection, and closing a listener (cancel its accept first).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "event_records.h"
#include "loop.h"

namespace ringside {

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
  if (fd < 0) {
    why = std::string("socket: ") + strerror(errno);
    return -errno;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (cfg.reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (ss.ss_family == AF_INET6) {
    int v6only = cfg.ipv6_only ? 1 : 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  }
  if (bind(fd, (sockaddr*)&ss, len) < 0 || ::listen(fd, cfg.backlog) < 0) {
    int e = errno;
    why = std::string(e == EADDRINUSE ? "address already in use" : strerror(e)) + " (" + cfg.host + ":" +
          std::to_string(cfg.port) + ")";
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
    if (field_tmp_.size() < cfg.http_options.limits.max_headers + 1)
      field_tmp_.resize(cfg.http_options.limits.max_headers + 1);
    const HttpOptions& o = cfg.http_options;
    for (uint32_t t : {o.headers_timeout_ms, o.request_timeout_ms, o.keep_alive_timeout_ms, o.send_timeout_ms})
      sweep_for(t);
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
    why = "the event batch cannot hold one request head at these limits (maxHeaderSize " +
          std::to_string(limits.max_head_bytes) + " needs " + std::to_string(bytes) + " of " +
          std::to_string(mem_.data_cap) + " bytes, maxHeaders " + std::to_string(fields) + " of " +
          std::to_string(mem_.field_cap) + " fields)";
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
  if (lid >= listeners_.size()) {
    if (cqe.res >= 0) ::close(cqe.res);
    return;
  }
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
          if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
            inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], text, sizeof text);
          else {
            inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
            family = 6;
          }
          port = ntohs(a->sin6_port);
        } else {
          auto* a = (sockaddr_in*)&ss;
          inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
          port = ntohs(a->sin_port);
        }
      }
      uint32_t n = (uint32_t)strlen(text);
      uint32_t off = batch_.copy(text, n);
      write_open(batch_.next_event(), id_of(c), lid, off, n, port, family);
      if (l.http) {
        c.http = std::make_unique<HttpConn>();
        c.http->idle_since_ms = now_ms_;
        c.http->chunked.reset(l.http_options.limits.max_body_bytes);
      }
      arm_recv(c);
    }
  } else if (cqe.res != -ECANCELED && !l.closing) {
    // EMFILE/ENFILE/ENOMEM: the listener stays; the sweep re-arms it after a tick.
    stats_.accept_errors++;
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

}  // namespace ringside
