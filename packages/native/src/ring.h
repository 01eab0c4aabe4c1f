// Our own small io_uring layer over the kernel ABI (io_uring_abi.h, ours too)
// and the raw syscalls (no liburing: distributions ship old versions and a
// -dev package would break `npm install`; no kernel headers needed either).
// One Ring per JS thread, used only from that thread.
#pragma once
#include <cstdint>
#include <string>

#include "io_uring_abi.h"

namespace ringside {

class Ring {
 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() { destroy(); }

  // Set up with the best flags the kernel accepts. Returns 0 or -errno, with
  // the failing step described in `why`.
  int init(unsigned sq_entries, unsigned cq_entries, std::string& why);
  void destroy();
  bool ready() const { return fd_ >= 0; }

  // A zeroed SQE, submitting first when the SQ is full. Never null once init succeeded.
  io_uring_sqe* get_sqe();
  // Publish queued SQEs and enter: submit them and, with `getevents`, run the
  // deferred task work that posts completions. Never waits. Returns -errno on failure.
  int enter(bool getevents);
  unsigned pending_sqes() const { return sqe_tail_ - *sq_head_; }
  bool task_work_pending() const { return __atomic_load_n(sq_flags_, __ATOMIC_ACQUIRE) & IORING_SQ_TASKRUN; }
  bool cq_overflowed() const { return __atomic_load_n(sq_flags_, __ATOMIC_ACQUIRE) & IORING_SQ_CQ_OVERFLOW; }

  // Pop one completion (copied out so the slot is free at once); false when empty.
  bool pop_cqe(io_uring_cqe& out) {
    unsigned head = *cq_head_;
    if (head == __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE)) return false;
    out = cqes_[head & cq_mask_];
    __atomic_store_n(cq_head_, head + 1, __ATOMIC_RELEASE);
    return true;
  }

  // Mute the registered eventfd while we are reaping anyway (our own inline
  // completions would otherwise schedule a useless wake-up).
  void set_eventfd_muted(bool muted) {
    if (!cq_flags_) return;
    unsigned f = __atomic_load_n(cq_flags_, __ATOMIC_RELAXED);
    f = muted ? (f | IORING_CQ_EVENTFD_DISABLED) : (f & ~IORING_CQ_EVENTFD_DISABLED);
    __atomic_store_n(cq_flags_, f, __ATOMIC_SEQ_CST);
  }

  int register_eventfd(int efd);
  // io_uring_register passthrough for the buffer ring.
  int register_raw(unsigned opcode, void* arg, unsigned nr);

  int fd() const { return fd_; }
  unsigned setup_flags() const { return flags_; }
  unsigned features() const { return features_; }
  unsigned sq_entries() const { return sq_entries_; }
  unsigned cq_entries() const { return cq_entries_; }
  bool registered_ring() const { return enter_flags_ & IORING_ENTER_REGISTERED_RING; }

 private:
  int try_setup(unsigned sq_entries, unsigned cq_entries, unsigned flags);
  int map_rings(const io_uring_params& p);

  int fd_ = -1;
  int enter_fd_ = -1;  // registered ring index when registered_ring()
  unsigned enter_flags_ = 0;
  unsigned flags_ = 0, features_ = 0;
  unsigned sq_entries_ = 0, cq_entries_ = 0;
  unsigned *sq_head_ = nullptr, *sq_tail_ = nullptr, *sq_flags_ = nullptr, sq_mask_ = 0;
  unsigned *cq_head_ = nullptr, *cq_tail_ = nullptr, *cq_flags_ = nullptr, cq_mask_ = 0;
  unsigned sqe_tail_ = 0;  // our local tail; published on enter()
  io_uring_sqe* sqes_ = nullptr;
  io_uring_cqe* cqes_ = nullptr;
  void* ring_ptr_ = nullptr;
  size_t ring_len_ = 0, sqes_len_ = 0;
};

// What io_uring offers here, for probe() and the backend choice.
struct ProbeInfo {
  bool usable = false;
  int err = 0;
  std::string reason;
  std::string kernel;
  int io_uring_disabled = -1;
  unsigned setup_flags = 0;
  bool registered_ring = false;
  bool multishot_accept = false, multishot_recv = false, buffer_ring = false, incremental_buffers = false;
  bool op_send = false, op_shutdown = false, op_cancel = false;
  bool defer_taskrun = false, single_issuer = false, no_sqarray = false;
};
ProbeInfo probe_io_uring();

}  // namespace ringside
