// One provided buffer ring per loop, shared by every connection's multishot
// recv: no buffer per idle connection. Buffers are handed back as soon as
// their bytes are copied out, within the same loop turn.
//
// Where the kernel consumes buffers incrementally (IOU_PBUF_RING_INC, 6.12),
// one buffer takes many small receives back to back, so memory touched
// follows the bytes received, not the number of receives (1,000 requests of
// 100 bytes touch 100 KB, not 1,000 pages). The kernel does not say where in
// the buffer a completion's bytes start; completions for one buffer arrive in
// order, so the ring keeps each buffer's used length.
#pragma once
#include <cstdint>
#include <cstddef>
#include <vector>
#include "ring.h"

namespace ringside {

class BufferRing {
 public:
  // Buffers when the loop's user sets none: a buffer that takes many receives
  // needs fewer of them (1 MiB of 8 KiB buffers, against 4 MiB).
  static constexpr unsigned kDefaultCount = 512, kDefaultCountIncremental = 128;

  ~BufferRing() { destroy(); }
  // count: a power of two (≤ 32768), or 0 for the default; `incremental`:
  // where the kernel has it (false: whole buffers, as before 6.12). Returns 0 or -errno.
  int init(Ring& ring, unsigned count, unsigned size, uint16_t group, bool incremental);
  void destroy();
  // Where the bytes of a completion naming `bid` start.
  uint8_t* buffer(uint16_t bid) const { return start(bid) + (incremental_ ? used_[bid] : 0); }
  // A completion's `len` bytes are copied out: the buffer goes back, unless
  // the kernel keeps filling it (IORING_CQE_F_BUF_MORE).
  void consumed(uint16_t bid, size_t len, bool more) {
    if (incremental_ && more) {
      used_[bid] += (uint32_t)len;
      return;
    }
    if (incremental_) used_[bid] = 0;
    recycle(bid);
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
  bool incremental() const { return incremental_; }

 private:
  int setup(Ring& ring, unsigned count, unsigned size, uint16_t group, uint16_t flags);
  uint8_t* start(uint16_t bid) const { return base_ + (size_t)bid * size_; }
  // Give a whole buffer back to the kernel; published in batches by publish().
  void recycle(uint16_t bid) {
    io_uring_buf* b = &entries()[(tail_ + pending_) & mask_];
    b->addr = (uint64_t)start(bid);
    b->len = size_;
    b->bid = bid;
    pending_++;
  }
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
  bool incremental_ = false;
  std::vector<uint32_t> used_;  // incremental: bytes of each buffer already completed
};

}  // namespace ringside
