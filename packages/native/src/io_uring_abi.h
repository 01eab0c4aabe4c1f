// The part of the kernel's io_uring ABI this addon uses, written by us from
// the documented ABI (io_uring_setup(2), io_uring_enter(2),
// io_uring_register(2), io_uring(7)), so the addon builds with any glibc or
// musl toolchain whatever its kernel headers: Ubuntu 22.04 ships 5.15's, some
// images none. What the running kernel lacks is found at run time by probe(),
// never at compile time. test/abi.test.ts compiles a program against this
// header and against the host's <linux/io_uring.h> and compares every value,
// size and offset the host header also has.
//
// Names are the kernel's, so the code reads like the man pages; never include
// <linux/io_uring.h> beside this header.
#pragma once
#include <cstddef>
#include <cstdint>

// ---- syscalls (the same numbers on every architecture: added after the table unification)
#define RINGSIDE_NR_io_uring_setup 425
#define RINGSIDE_NR_io_uring_enter 426
#define RINGSIDE_NR_io_uring_register 427

// ---- submission queue entry (64 bytes; only the fields we use are named)
struct io_uring_sqe {
  uint8_t opcode;
  uint8_t flags;    // IOSQE_*
  uint16_t ioprio;  // accept/recv: multishot flags
  int32_t fd;
  uint64_t off;
  uint64_t addr;
  uint32_t len;
  union {
    uint32_t rw_flags;
    uint32_t msg_flags;
    uint32_t accept_flags;
    uint32_t cancel_flags;
  };
  uint64_t user_data;
  union {
    uint16_t buf_index;
    uint16_t buf_group;
  } __attribute__((packed));
  uint16_t personality;
  uint32_t file_index;
  uint64_t addr3;
  uint64_t pad2;
};
static_assert(sizeof(io_uring_sqe) == 64, "io_uring_sqe is 64 bytes");
static_assert(offsetof(io_uring_sqe, user_data) == 32 && offsetof(io_uring_sqe, buf_group) == 40,
              "io_uring_sqe layout");

// ---- completion queue entry (16 bytes)
struct io_uring_cqe {
  uint64_t user_data;
  int32_t res;
  uint32_t flags;  // IORING_CQE_F_*
};
static_assert(sizeof(io_uring_cqe) == 16, "io_uring_cqe is 16 bytes");

// ---- io_uring_setup(2) parameters
struct io_sqring_offsets {
  uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
  uint64_t user_addr;
};
struct io_cqring_offsets {
  uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
  uint64_t user_addr;
};
struct io_uring_params {
  uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd;
  uint32_t resv[3];
  io_sqring_offsets sq_off;
  io_cqring_offsets cq_off;
};
static_assert(sizeof(io_uring_params) == 120, "io_uring_params is 120 bytes");

// ---- io_uring_register(2) arguments
struct io_uring_probe_op {
  uint8_t op, resv;
  uint16_t flags;  // IO_URING_OP_SUPPORTED
  uint32_t resv2;
};
struct io_uring_probe {
  uint8_t last_op;  // last opcode the kernel knows
  uint8_t ops_len;
  uint16_t resv;
  uint32_t resv2[3];
  io_uring_probe_op ops[];
};
struct io_uring_rsrc_update {
  uint32_t offset, resv;
  uint64_t data;
};
// One provided buffer; the ring of them is addressed by hand (buffer_ring.h).
struct io_uring_buf {
  uint64_t addr;
  uint32_t len;
  uint16_t bid, resv;
};
struct io_uring_buf_reg {
  uint64_t ring_addr;
  uint32_t ring_entries;
  uint16_t bgid, flags;
  uint64_t resv[3];
};
static_assert(sizeof(io_uring_probe) == 16 && sizeof(io_uring_probe_op) == 8, "io_uring_probe layout");
static_assert(sizeof(io_uring_buf) == 16 && sizeof(io_uring_buf_reg) == 40, "buffer ring layout");

// ---- opcodes
enum : uint8_t {
  IORING_OP_NOP = 0,
  IORING_OP_ACCEPT = 13,
  IORING_OP_ASYNC_CANCEL = 14,
  IORING_OP_SEND = 26,
  IORING_OP_RECV = 27,
  IORING_OP_SHUTDOWN = 34,
  IORING_OP_SOCKET = 45,
  IORING_OP_SEND_ZC = 47,
};

// ---- io_uring_setup flags
#define IORING_SETUP_CQSIZE (1U << 3)
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#define IORING_SETUP_TASKRUN_FLAG (1U << 9)
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#define IORING_SETUP_NO_SQARRAY (1U << 16)

// ---- features reported by setup
#define IORING_FEAT_SINGLE_MMAP (1U << 0)

// ---- mmap offsets
#define IORING_OFF_SQ_RING 0ULL
#define IORING_OFF_SQES 0x10000000ULL

// ---- SQE flags, per-opcode flags
#define IOSQE_BUFFER_SELECT (1U << 5)
#define IORING_ACCEPT_MULTISHOT (1U << 0)
#define IORING_RECV_MULTISHOT (1U << 1)
#define IORING_ASYNC_CANCEL_ALL (1U << 0)
#define IORING_ASYNC_CANCEL_FD (1U << 1)

// ---- CQE flags
#define IORING_CQE_F_BUFFER (1U << 0)
#define IORING_CQE_F_MORE (1U << 1)
#define IORING_CQE_F_BUF_MORE (1U << 4)  // incremental buffer ring: the kernel keeps filling this buffer
#define IORING_CQE_BUFFER_SHIFT 16

// ---- ring flags (shared memory)
#define IORING_SQ_CQ_OVERFLOW (1U << 1)
#define IORING_SQ_TASKRUN (1U << 2)
#define IORING_CQ_EVENTFD_DISABLED (1U << 0)

// ---- io_uring_enter flags
#define IORING_ENTER_GETEVENTS (1U << 0)
#define IORING_ENTER_REGISTERED_RING (1U << 4)

// ---- io_uring_register opcodes
#define IORING_REGISTER_EVENTFD 4
#define IORING_REGISTER_PROBE 8
#define IORING_REGISTER_RING_FDS 20
#define IORING_REGISTER_PBUF_RING 22
#define IORING_UNREGISTER_PBUF_RING 23
#define IOU_PBUF_RING_INC 2  // io_uring_buf_reg.flags: buffers consumed incrementally (6.12)

// ---- probe
#define IO_URING_OP_SUPPORTED (1U << 0)
