// The epoll driver: carries out the loop's operation records with
// non-blocking syscalls where io_uring cannot run. Level-triggered; one
// receive buffer per loop (a completion's bytes are read at the moment the
// loop pops it, and copied out before the next pop); sends are tried at once
// and wait for EPOLLOUT only when the socket is full; accept4 in a loop.
// libuv polls the epoll fd, which also holds the loop's eventfd.
#pragma once
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "io_driver.h"

namespace ringside {

class EpollDriver final : public IoDriver {
 public:
  int init(unsigned buffer_size, std::string& why);
  ~EpollDriver() override;
  const char* name() const override { return "epoll"; }
  io_uring_sqe* get_sqe() override;
  int enter(bool getevents) override;
  unsigned pending_sqes() const override { return (unsigned)queued_; }
  bool pop_cqe(io_uring_cqe& out) override;
  bool task_work_pending() const override { return false; }
  bool cq_overflowed() const override { return false; }
  void set_eventfd_muted(bool) override {}
  int register_eventfd(int efd) override;
  int poll_fd() const override { return epfd_; }
  uint8_t* buffer(uint16_t) const override { return (uint8_t*)buf_.data(); }
  void consumed(uint16_t, size_t, bool) override {}
  void publish() override {}
  uint16_t group() const override { return 0; }

 private:
  // What the loop has asked of one fd.
  struct Watch {
    uint64_t accept_ud = 0;  // multishot accept armed (listener)
    uint64_t recv_ud = 0;    // multishot receive armed
    uint64_t send_ud = 0;    // a send waiting for EPOLLOUT
    const uint8_t* send_ptr = nullptr;
    uint32_t send_len = 0;
    uint32_t events = 0;  // registered with epoll (0: not in the set)
  };
  // The entry of `fd`, grown on demand: a reference is good until the next watch() of a higher fd.
  Watch& watch(int fd);
  void run(const io_uring_sqe& sqe);
  void arm(int fd, uint64_t Watch::*slot, uint64_t ud);
  void cancel(const io_uring_sqe& sqe);
  void try_send(int fd, Watch& w);
  void accept_all(int fd);
  void update(int fd, Watch& w);
  void post(uint64_t ud, int32_t res, uint32_t flags = 0) { done_.push_back(io_uring_cqe{ud, res, flags}); }

  int epfd_ = -1;
  int efd_ = -1;
  std::vector<io_uring_sqe> sqes_;
  size_t queued_ = 0;
  std::deque<io_uring_cqe> done_;
  std::vector<Watch> watches_;               // by fd
  std::unordered_map<uint64_t, int> armed_;  // armed accept/receive user_data → fd
  std::vector<int> readable_;                // fds to receive from, at pop time
  size_t readable_at_ = 0;
  std::vector<uint8_t> buf_;
};

}  // namespace ringside
