#include "epoll_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ringside {

// Records carried out per batch before get_sqe() runs them early (like a full SQ).
constexpr size_t kMaxQueued = 4096;
// Readiness events taken per enter(); level-triggered, so the rest come next time.
constexpr int kMaxEvents = 512;
// Connections accepted per listener wake-up before the others get a turn.
constexpr int kMaxAccepts = 256;

int EpollDriver::init(unsigned buffer_size, std::string& why) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    int e = errno;
    why = std::string("epoll_create1: ") + strerror(e);
    return -e;
  }
  buf_.resize(buffer_size);
  sqes_.resize(kMaxQueued);
  return 0;
}

EpollDriver::~EpollDriver() {
  if (epfd_ >= 0) ::close(epfd_);
}

int EpollDriver::register_eventfd(int efd) {
  efd_ = efd;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = efd;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, efd, &ev) < 0 ? -errno : 0;
}

EpollDriver::Watch& EpollDriver::watch(int fd) {
  if ((size_t)fd >= watches_.size()) watches_.resize((size_t)fd + 1024);
  return watches_[fd];
}

io_uring_sqe* EpollDriver::get_sqe() {
  if (queued_ == sqes_.size()) enter(false);
  io_uring_sqe* sqe = &sqes_[queued_++];
  *sqe = io_uring_sqe{};
  return sqe;
}

int EpollDriver::enter(bool getevents) {
  // Records may queue more records' completions but never more records.
  for (size_t i = 0; i < queued_; i++) run(sqes_[i]);
  queued_ = 0;
  if (!getevents) {
    // Completions of records run outside a turn (sends flushed before libuv
    // sleeps, the sweep's answers) need a turn to be seen: wake the loop, as
    // io_uring's completion signal on the eventfd does.
    if (!done_.empty() && efd_ >= 0) {
      uint64_t one = 1;
      if (::write(efd_, &one, sizeof one) < 0) {}
    }
    return 0;
  }
  epoll_event evs[kMaxEvents];
  int n = epoll_wait(epfd_, evs, kMaxEvents, 0);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  for (int i = 0; i < n; i++) {
    int fd = evs[i].data.fd;
    if (fd == efd_) continue;  // the loop reads its eventfd itself
    Watch& w = watch(fd);
    uint32_t ev = evs[i].events;
    if (w.accept_ud) {
      accept_all(fd);
      continue;
    }
    if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) && w.recv_ud) readable_.push_back(fd);
    if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && w.send_ud) try_send(fd, w);
  }
  return 0;
}

bool EpollDriver::pop_cqe(io_uring_cqe& out) {
  if (!done_.empty()) {
    out = done_.front();
    done_.pop_front();
    return true;
  }
  // Read at the moment of popping: the one buffer is free again (the loop
  // copied the previous completion's bytes out before asking for the next).
  while (readable_at_ < readable_.size()) {
    int fd = readable_[readable_at_++];
    Watch& w = watch(fd);
    if (!w.recv_ud) continue;
    ssize_t r = ::recv(fd, buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    out = io_uring_cqe{w.recv_ud, r < 0 ? -errno : (int32_t)r, 0};
    if (r > 0) {
      out.flags = IORING_CQE_F_MORE | IORING_CQE_F_BUFFER;  // buffer id 0
    } else {
      // End of stream or an error ends a multishot receive, as on io_uring.
      armed_.erase(w.recv_ud);
      w.recv_ud = 0;
      update(fd, w);
    }
    return true;
  }
  readable_.clear();
  readable_at_ = 0;
  return false;
}

void EpollDriver::run(const io_uring_sqe& sqe) {
  const int fd = sqe.fd;
  switch (sqe.opcode) {
    case IORING_OP_ACCEPT: {
      // accept4() in a loop until EAGAIN needs a non-blocking listener.
      int fl = fcntl(fd, F_GETFL);
      if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
      arm(fd, &Watch::accept_ud, sqe.user_data);
      break;
    }
    case IORING_OP_RECV: arm(fd, &Watch::recv_ud, sqe.user_data); break;
    case IORING_OP_SEND: {
      Watch& w = watch(fd);
      w.send_ud = sqe.user_data;
      w.send_ptr = (const uint8_t*)sqe.addr;
      w.send_len = sqe.len;
      try_send(fd, w);
      break;
    }
    case IORING_OP_ASYNC_CANCEL: cancel(sqe); break;
    default: post(sqe.user_data, -EINVAL); break;
  }
}

// A multishot accept or receive: armed until cancelled, or until a completion without F_MORE.
void EpollDriver::arm(int fd, uint64_t Watch::*slot, uint64_t ud) {
  Watch& w = watch(fd);
  w.*slot = ud;
  armed_[ud] = fd;
  update(fd, w);
}

// Cancel by fd (everything on it) or by the user_data of an armed accept/receive.
void EpollDriver::cancel(const io_uring_sqe& sqe) {
  if (sqe.cancel_flags & IORING_ASYNC_CANCEL_FD) {
    Watch& w = watch(sqe.fd);
    int count = 0;
    for (uint64_t* ud : {&w.accept_ud, &w.recv_ud, &w.send_ud}) {
      if (!*ud) continue;
      armed_.erase(*ud);
      post(*ud, -ECANCELED);
      *ud = 0;
      count++;
    }
    update(sqe.fd, w);
    post(sqe.user_data, count ? count : -ENOENT);
    return;
  }
  auto it = armed_.find(sqe.addr);
  if (it == armed_.end()) {
    post(sqe.user_data, -ENOENT);
    return;
  }
  int fd = it->second;
  armed_.erase(it);
  Watch& w = watch(fd);
  if (w.accept_ud == sqe.addr) w.accept_ud = 0;
  if (w.recv_ud == sqe.addr) w.recv_ud = 0;
  update(fd, w);
  post(sqe.addr, -ECANCELED);
  post(sqe.user_data, 0);
}

void EpollDriver::try_send(int fd, Watch& w) {
  ssize_t r = ::send(fd, w.send_ptr, w.send_len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    update(fd, w);  // wait for EPOLLOUT
    return;
  }
  uint64_t ud = w.send_ud;
  w.send_ud = 0;
  w.send_ptr = nullptr;
  w.send_len = 0;
  update(fd, w);
  post(ud, r < 0 ? -errno : (int32_t)r);  // a short count: the loop sends the rest
}

void EpollDriver::accept_all(int fd) {
  for (int i = 0; i < kMaxAccepts && watch(fd).accept_ud; i++) {
    int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c >= 0) {
      watch(c) = Watch{};  // a reused fd number starts clean (closing it left the epoll set); may move watches_
      post(watch(fd).accept_ud, c, IORING_CQE_F_MORE);
      continue;
    }
    Watch& w = watch(fd);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return;
    // EMFILE and friends: stop; the loop's sweep re-arms the listener after a tick.
    int e = errno;
    uint64_t ud = w.accept_ud;
    armed_.erase(ud);
    w.accept_ud = 0;
    update(fd, w);
    post(ud, -e);
    return;
  }
}

// Register with epoll what the fd now waits for (nothing: leave the set).
void EpollDriver::update(int fd, Watch& w) {
  uint32_t want = (w.accept_ud || w.recv_ud ? (uint32_t)EPOLLIN : 0u) | (w.send_ud ? (uint32_t)EPOLLOUT : 0u);
  if (want == w.events) return;
  epoll_event ev{};
  ev.events = want | (w.recv_ud ? (uint32_t)EPOLLRDHUP : 0u);
  ev.data.fd = fd;
  int op = !want ? EPOLL_CTL_DEL : w.events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  // The set may disagree with `events` when an fd number was closed (which
  // leaves the set) and reused: fall back to the other operation.
  if (epoll_ctl(epfd_, op, fd, &ev) < 0) {
    if (op == EPOLL_CTL_ADD && errno == EEXIST)
      epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
    else if (op == EPOLL_CTL_MOD && errno == ENOENT)
      epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  }
  w.events = want;
}

}  // namespace ringside
