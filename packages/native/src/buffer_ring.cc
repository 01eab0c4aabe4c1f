#include "buffer_ring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

namespace ringside {

int BufferRing::init(Ring& ring, unsigned count, unsigned size, uint16_t group, bool incremental) {
  if ((count & (count - 1)) || count > 32768 || size == 0) return -EINVAL;
  // Incremental consumption where the kernel has it (6.12; EINVAL before).
  int rc =
      incremental ? setup(ring, count ? count : kDefaultCountIncremental, size, group, IOU_PBUF_RING_INC) : -EINVAL;
  incremental_ = rc == 0;
  if (rc == -EINVAL) rc = setup(ring, count ? count : kDefaultCount, size, group, 0);
  if (rc < 0) return rc;
  used_.assign(incremental_ ? count_ : 0, 0);
  for (unsigned i = 0; i < count_; i++) recycle((uint16_t)i);
  publish();
  return 0;
}

int BufferRing::setup(Ring& ring, unsigned count, unsigned size, uint16_t group, uint16_t flags) {
  count_ = count;
  size_ = size;
  mask_ = count - 1;
  group_ = group;
  tail_ = 0;
  pending_ = 0;
  ring_bytes_ = count * sizeof(io_uring_buf);
  void* r = mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) return -errno;
  ring_ = r;
  data_bytes_ = (size_t)count * size;
  void* d = mmap(nullptr, data_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (d == MAP_FAILED) {
    int err = -errno;
    destroy();
    return err;
  }
  base_ = (uint8_t*)d;
  io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = (uint64_t)ring_;
  reg.ring_entries = count;
  reg.bgid = group;
  reg.flags = flags;
  int rc = ring.register_raw(IORING_REGISTER_PBUF_RING, &reg, 1);
  if (rc < 0) {
    destroy();
    return rc;
  }
  owner_ = &ring;
  return 0;
}

void BufferRing::destroy() {
  if (owner_ && owner_->ready() && ring_) {
    io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.bgid = group_;
    owner_->register_raw(IORING_UNREGISTER_PBUF_RING, &reg, 1);
  }
  if (ring_) munmap(ring_, ring_bytes_);
  if (base_) munmap(base_, data_bytes_);
  ring_ = nullptr;
  base_ = nullptr;
  owner_ = nullptr;
}

}  // namespace ringside
