#include "ring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>

namespace ringside {

static int sys_setup(unsigned entries, io_uring_params* p) {
  return (int)syscall(RINGSIDE_NR_io_uring_setup, entries, p);
}
static int sys_enter(int fd, unsigned submit, unsigned min, unsigned flags) {
  return (int)syscall(RINGSIDE_NR_io_uring_enter, fd, submit, min, flags, nullptr, 0);
}
static int sys_register(int fd, unsigned op, void* arg, unsigned nr) {
  return (int)syscall(RINGSIDE_NR_io_uring_register, fd, op, arg, nr);
}

int Ring::try_setup(unsigned sq_entries, unsigned cq_entries, unsigned flags) {
  io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = flags | IORING_SETUP_CQSIZE;
  p.cq_entries = cq_entries;
  int fd = sys_setup(sq_entries, &p);
  if (fd < 0) return -errno;
  fd_ = fd;
  flags_ = p.flags;
  features_ = p.features;
  int r = map_rings(p);
  if (r < 0) {
    destroy();
    return r;
  }
  return 0;
}

int Ring::init(unsigned sq_entries, unsigned cq_entries, std::string& why) {
  // SINGLE_ISSUER: only this JS thread submits, so the kernel skips locking.
  // DEFER_TASKRUN: completions are posted only when we enter with GETEVENTS,
  //   in batches, on our thread — no interrupts of JS by task work. Its
  //   wake-up is the registered eventfd (see Loop). TASKRUN_FLAG makes the
  //   kernel flag pending work in sq_flags so one turn can repeat until done.
  // SUBMIT_ALL: one bad SQE does not stop the rest of the batch.
  // NO_SQARRAY (6.6+): SQEs are consumed in ring order, no indirection array.
  // CQ is 8× the SQ: every multishot recv/accept can post many CQEs per SQE,
  //   and an overflowing CQ costs a slow path; we drain it every turn.
  const unsigned base = IORING_SETUP_SUBMIT_ALL;
  const unsigned tries[] = {
      base | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
          IORING_SETUP_NO_SQARRAY,
      base | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
      base | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,  // kernels before 6.1
      0,
  };
  int r = -EINVAL;
  for (unsigned flags : tries) {
    r = try_setup(sq_entries, cq_entries, flags);
    if (r != -EINVAL) break;
  }
  if (r < 0) {
    why = std::string("io_uring_setup failed: ") + strerror(-r);
    return r;
  }
  // A registered ring fd saves an fget/fput on every enter.
  io_uring_rsrc_update up;
  memset(&up, 0, sizeof up);
  up.offset = -1U;
  up.data = (uint64_t)fd_;
  if (sys_register(fd_, IORING_REGISTER_RING_FDS, &up, 1) == 1) {
    enter_fd_ = (int)up.offset;
    enter_flags_ = IORING_ENTER_REGISTERED_RING;
  } else {
    enter_fd_ = fd_;
  }
  return 0;
}

int Ring::map_rings(const io_uring_params& p) {
  sq_entries_ = p.sq_entries;
  cq_entries_ = p.cq_entries;
  size_t sq_len = (p.flags & IORING_SETUP_NO_SQARRAY) ? 0 : p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  if (!(p.features & IORING_FEAT_SINGLE_MMAP)) return -ENOSYS;  // 5.4 and older: too old anyway
  ring_len_ = sq_len > cq_len ? sq_len : cq_len;
  ring_ptr_ = mmap(nullptr, ring_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
  if (ring_ptr_ == MAP_FAILED) {
    ring_ptr_ = nullptr;
    return -errno;
  }
  sqes_len_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) return -errno;
  sqes_ = (io_uring_sqe*)sqes;
  char* base = (char*)ring_ptr_;
  sq_head_ = (unsigned*)(base + p.sq_off.head);
  sq_tail_ = (unsigned*)(base + p.sq_off.tail);
  sq_mask_ = *(unsigned*)(base + p.sq_off.ring_mask);
  sq_flags_ = (unsigned*)(base + p.sq_off.flags);
  cq_head_ = (unsigned*)(base + p.cq_off.head);
  cq_tail_ = (unsigned*)(base + p.cq_off.tail);
  cq_mask_ = *(unsigned*)(base + p.cq_off.ring_mask);
  cqes_ = (io_uring_cqe*)(base + p.cq_off.cqes);
  cq_flags_ = p.cq_off.flags ? (unsigned*)(base + p.cq_off.flags) : nullptr;
  if (!(p.flags & IORING_SETUP_NO_SQARRAY)) {
    // Identity map once; SQEs are then consumed in ring order.
    unsigned* array = (unsigned*)(base + p.sq_off.array);
    for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;
  }
  sqe_tail_ = *sq_tail_;
  return 0;
}

void Ring::destroy() {
  if (sqes_) munmap(sqes_, sqes_len_);
  if (ring_ptr_) munmap(ring_ptr_, ring_len_);
  if (fd_ >= 0) close(fd_);
  sqes_ = nullptr;
  ring_ptr_ = nullptr;
  fd_ = enter_fd_ = -1;
  enter_flags_ = 0;
}

io_uring_sqe* Ring::get_sqe() {
  while (sqe_tail_ - __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE) >= sq_entries_) {
    // Full: hand what we have to the kernel (no waiting) and go on.
    if (enter(false) < 0) {
      // Only a broken ring fails here; make room by yielding to it once more.
      enter(true);
    }
  }
  io_uring_sqe* sqe = &sqes_[sqe_tail_ & sq_mask_];
  sqe_tail_++;
  memset(sqe, 0, sizeof *sqe);
  return sqe;
}

int Ring::enter(bool getevents) {
  __atomic_store_n(sq_tail_, sqe_tail_, __ATOMIC_RELEASE);
  unsigned to_submit = sqe_tail_ - __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
  unsigned flags = enter_flags_ | (getevents ? IORING_ENTER_GETEVENTS : 0);
  if (!to_submit && !getevents) return 0;
  for (;;) {
    int r = sys_enter(enter_fd_, to_submit, 0, flags);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    // EAGAIN/EBUSY: the CQ is full of overflowed entries; the caller drains and retries next turn.
    return -errno;
  }
}

int Ring::register_eventfd(int efd) { return sys_register(fd_, IORING_REGISTER_EVENTFD, &efd, 1) < 0 ? -errno : 0; }
int Ring::register_raw(unsigned opcode, void* arg, unsigned nr) {
  return sys_register(fd_, opcode, arg, nr) < 0 ? -errno : 0;
}

static int read_io_uring_disabled() {
  FILE* f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
  if (!f) return -1;
  int v = -1;
  if (fscanf(f, "%d", &v) != 1) v = -1;
  fclose(f);
  return v;
}

ProbeInfo probe_io_uring() {
  ProbeInfo info;
  utsname u;
  if (uname(&u) == 0) info.kernel = u.release;
  info.io_uring_disabled = read_io_uring_disabled();
  Ring ring;
  std::string why;
  int r = ring.init(8, 64, why);
  if (r < 0) {
    info.err = -r;
    if (r == -ENOSYS)
      info.reason = "kernel too old: io_uring_setup is not implemented (ENOSYS); Linux 6.0+ is needed";
    else if (r == -EPERM && info.io_uring_disabled > 0)
      info.reason =
          "io_uring is disabled by sysctl kernel.io_uring_disabled=" + std::to_string(info.io_uring_disabled) +
          " (EPERM)";
    else if (r == -EPERM)
      info.reason =
          "io_uring_setup blocked by seccomp or a security policy (EPERM) — e.g. Docker >= 25's default profile; run "
          "with a profile that allows io_uring";
    else
      info.reason = why;
    return info;
  }
  info.setup_flags = ring.setup_flags();
  info.defer_taskrun = info.setup_flags & IORING_SETUP_DEFER_TASKRUN;
  info.single_issuer = info.setup_flags & IORING_SETUP_SINGLE_ISSUER;
  info.no_sqarray = info.setup_flags & IORING_SETUP_NO_SQARRAY;
  info.registered_ring = ring.registered_ring();
  // Which opcodes the kernel knows.
  size_t len = sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op);
  io_uring_probe* p = (io_uring_probe*)calloc(1, len);
  if (p && ring.register_raw(IORING_REGISTER_PROBE, p, 256) == 0) {
    auto has = [&](unsigned op) { return op <= p->last_op && (p->ops[op].flags & IO_URING_OP_SUPPORTED); };
    info.op_send = has(IORING_OP_SEND);
    info.op_shutdown = has(IORING_OP_SHUTDOWN);
    info.op_cancel = has(IORING_OP_ASYNC_CANCEL);
    // Multishot accept (5.19) and recv (6.0) came with IORING_OP_SOCKET (5.19) and
    // IORING_OP_SEND_ZC (6.0); the opcode list is the kernel's only honest tell.
    info.multishot_accept = has(IORING_OP_SOCKET);
    info.multishot_recv = has(IORING_OP_SEND_ZC);
  }
  free(p);
  // Buffer rings (5.19): register a tiny one and take it back.
  {
    size_t bl = 4096;
    void* mem = mmap(nullptr, bl, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem != MAP_FAILED) {
      io_uring_buf_reg reg;
      memset(&reg, 0, sizeof reg);
      reg.ring_addr = (uint64_t)mem;
      reg.ring_entries = 8;
      reg.bgid = 0;
      // Incremental consumption (6.12) first, as BufferRing::init asks for it.
      for (uint16_t flags : {(uint16_t)IOU_PBUF_RING_INC, (uint16_t)0}) {
        reg.flags = flags;
        if (ring.register_raw(IORING_REGISTER_PBUF_RING, &reg, 1) == 0) {
          info.buffer_ring = true;
          info.incremental_buffers = flags != 0;
          ring.register_raw(IORING_UNREGISTER_PBUF_RING, &reg, 1);
          break;
        }
      }
      munmap(mem, bl);
    }
  }
  if (!info.multishot_accept || !info.multishot_recv || !info.buffer_ring || !info.op_send) {
    info.reason = "kernel too old: multishot accept/recv and provided buffer rings are needed (Linux 6.0+), kernel " +
                  info.kernel;
    info.err = ENOSYS;
    return info;
  }
  info.usable = true;
  return info;
}

}  // namespace ringside
