// One provided buffer ring per loop, shared by every connection's multishot
// recv: no buffer per idle connection. Buffers are handed back (recycle) as
// soon as their bytes are copied out, within the same loop turn.
#pragma once
#include <cstdint>
#include <cstddef>
#include "ring.h"

namespace ringside {

class BufferRing {
 public:
  ~BufferRing() { destroy(); }
  // count must be a power of two (≤ 32768). Returns 0 or -errno.
  int init(Ring& ring, unsigned count, unsigned size, uint16_t group);
  void destroy();
  uint8_t* buffer(uint16_t bid) const { return base_ + (size_t)bid * size_; }
  // Give a buffer back to the kernel; published in batches by publish().
  void recycle(uint16_t bid) {
    io_uring_buf* b = &entries()[(tail_ + pending_) & mask_];
    b->addr = (uint64_t)buffer(bid);
    b->len = size_;
    b->bid = bid;
    pending_++;
  }
  void publish() {
    if (!pending_) return;
    tail_ += pending_;
    pending_ = 0;
    __atomic_store_n(tail_word(), tail_, __ATOMIC_RELEASE);
  }
  uint16_t group() const { return group_; }
  unsigned size() const { return size_; }
  unsigned count() const { return count_; }

 private:
  // The ring is an array of io_uring_buf whose first entry's last 16 bits are
  // the tail (io_uring_register(2), IORING_REGISTER_PBUF_RING).
  io_uring_buf* entries() const { return reinterpret_cast<io_uring_buf*>(ring_); }
  uint16_t* tail_word() const { return reinterpret_cast<uint16_t*>(reinterpret_cast<uint8_t*>(ring_) + 14); }

  Ring* owner_ = nullptr;
  void* ring_ = nullptr;
  uint8_t* base_ = nullptr;
  size_t ring_bytes_ = 0, data_bytes_ = 0;
  unsigned count_ = 0, size_ = 0, mask_ = 0;
  uint16_t tail_ = 0, pending_ = 0, group_ = 0;
};

}  // namespace ringside
