// How bytes enter and leave sockets, behind one interface, so everything above
// (the loop: connection table, HTTP framing, batches, sweep) is shared by both
// drivers. The loop speaks io_uring's operation records (SQEs in, CQEs out):
// the io_uring driver hands them to the kernel; the epoll driver
// (epoll_driver.h) carries out the few the loop uses — multishot accept and
// receive, send, cancel — with non-blocking syscalls, where io_uring is
// blocked (containers' seccomp profiles, kernel.io_uring_disabled, old kernels).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "buffer_ring.h"
#include "io_uring_abi.h"
#include "ring.h"

namespace ringside {

class IoDriver {
 public:
  virtual ~IoDriver() = default;
  virtual const char* name() const = 0;
  // A zeroed operation record; the driver carries it out at the next enter().
  virtual io_uring_sqe* get_sqe() = 0;
  // Carry out the queued records and, with `getevents`, collect completions. Never waits.
  virtual int enter(bool getevents) = 0;
  virtual unsigned pending_sqes() const = 0;
  virtual bool pop_cqe(io_uring_cqe& out) = 0;
  // More completions may be collected by another enter() at once.
  virtual bool task_work_pending() const = 0;
  virtual bool cq_overflowed() const = 0;
  virtual void set_eventfd_muted(bool muted) = 0;
  // `efd` wakes the loop (written by the loop itself, or by the kernel on io_uring).
  virtual int register_eventfd(int efd) = 0;
  // The fd libuv polls for this driver.
  virtual int poll_fd() const = 0;
  // Received bytes: where a completion's bytes start in the buffer it names;
  // consumed() once they are copied out (`more`: IORING_CQE_F_BUF_MORE).
  virtual uint8_t* buffer(uint16_t bid) const = 0;
  virtual void consumed(uint16_t bid, size_t len, bool more) = 0;
  virtual void publish() = 0;
  virtual uint16_t group() const = 0;
};

// io_uring: the records go to the kernel; received bytes land in the provided buffer ring.
class UringDriver final : public IoDriver {
 public:
  int init(unsigned entries, unsigned buffer_count, unsigned buffer_size, bool incremental, std::string& why) {
    int r = ring_.init(entries, entries * 8, why);
    if (r < 0) return r;
    r = bufs_.init(ring_, buffer_count, buffer_size, 0, incremental);
    if (r < 0) {
      why = std::string("buffer ring registration failed: ") + strerror(-r);
      ring_.destroy();
    }
    return r;
  }
  ~UringDriver() override {
    bufs_.destroy();
    ring_.destroy();
  }
  const char* name() const override { return "io_uring"; }
  io_uring_sqe* get_sqe() override { return ring_.get_sqe(); }
  int enter(bool getevents) override { return ring_.enter(getevents); }
  unsigned pending_sqes() const override { return ring_.pending_sqes(); }
  bool pop_cqe(io_uring_cqe& out) override { return ring_.pop_cqe(out); }
  bool task_work_pending() const override { return ring_.task_work_pending(); }
  bool cq_overflowed() const override { return ring_.cq_overflowed(); }
  void set_eventfd_muted(bool muted) override { ring_.set_eventfd_muted(muted); }
  int register_eventfd(int efd) override {
    efd_ = efd;
    return ring_.register_eventfd(efd);
  }
  int poll_fd() const override { return efd_; }
  uint8_t* buffer(uint16_t bid) const override { return bufs_.buffer(bid); }
  void consumed(uint16_t bid, size_t len, bool more) override { bufs_.consumed(bid, len, more); }
  void publish() override { bufs_.publish(); }
  uint16_t group() const override { return bufs_.group(); }

 private:
  Ring ring_;
  BufferRing bufs_;
  int efd_ = -1;
};

}  // namespace ringside
