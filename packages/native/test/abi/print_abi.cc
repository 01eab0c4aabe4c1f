// Prints the io_uring ABI values, sizes and offsets the addon uses, one
// "name=value" per line, compiled twice by test/abi.test.ts: against our
// src/io_uring_abi.h (-DRINGSIDE_OWN_ABI) and against the host's
// <linux/io_uring.h>. Macros the host header may lack are printed only when defined.
#include <cstddef>
#include <cstdio>
#ifdef RINGSIDE_OWN_ABI
#include "io_uring_abi.h"
#else
#include <linux/io_uring.h>
#endif

#define VALUE(x) std::printf("%s=%llu\n", #x, (unsigned long long)(x))
#define SIZE(t) std::printf("sizeof(%s)=%zu\n", #t, sizeof(t))
#define OFFSET(t, f) std::printf("offsetof(%s,%s)=%zu\n", #t, #f, offsetof(t, f))

int main() {
  SIZE(io_uring_sqe);
  OFFSET(io_uring_sqe, opcode);
  OFFSET(io_uring_sqe, flags);
  OFFSET(io_uring_sqe, ioprio);
  OFFSET(io_uring_sqe, fd);
  OFFSET(io_uring_sqe, off);
  OFFSET(io_uring_sqe, addr);
  OFFSET(io_uring_sqe, len);
  OFFSET(io_uring_sqe, rw_flags);
  OFFSET(io_uring_sqe, msg_flags);
  OFFSET(io_uring_sqe, accept_flags);
  OFFSET(io_uring_sqe, cancel_flags);
  OFFSET(io_uring_sqe, user_data);
  OFFSET(io_uring_sqe, buf_index);
  OFFSET(io_uring_sqe, buf_group);
  OFFSET(io_uring_sqe, personality);
  OFFSET(io_uring_sqe, file_index);
  OFFSET(io_uring_sqe, addr3);
  SIZE(io_uring_cqe);
  OFFSET(io_uring_cqe, user_data);
  OFFSET(io_uring_cqe, res);
  OFFSET(io_uring_cqe, flags);
  SIZE(io_uring_params);
  OFFSET(io_uring_params, sq_entries);
  OFFSET(io_uring_params, cq_entries);
  OFFSET(io_uring_params, flags);
  OFFSET(io_uring_params, features);
  OFFSET(io_uring_params, wq_fd);
  OFFSET(io_uring_params, sq_off);
  OFFSET(io_uring_params, cq_off);
  SIZE(io_sqring_offsets);
  OFFSET(io_sqring_offsets, head);
  OFFSET(io_sqring_offsets, tail);
  OFFSET(io_sqring_offsets, ring_mask);
  OFFSET(io_sqring_offsets, ring_entries);
  OFFSET(io_sqring_offsets, flags);
  OFFSET(io_sqring_offsets, dropped);
  OFFSET(io_sqring_offsets, array);
  SIZE(io_cqring_offsets);
  OFFSET(io_cqring_offsets, head);
  OFFSET(io_cqring_offsets, tail);
  OFFSET(io_cqring_offsets, ring_mask);
  OFFSET(io_cqring_offsets, ring_entries);
  OFFSET(io_cqring_offsets, overflow);
  OFFSET(io_cqring_offsets, cqes);
  OFFSET(io_cqring_offsets, flags);
  SIZE(io_uring_probe);
  SIZE(io_uring_probe_op);
  OFFSET(io_uring_probe, last_op);
  OFFSET(io_uring_probe, ops_len);
  OFFSET(io_uring_probe, ops);
  OFFSET(io_uring_probe_op, op);
  OFFSET(io_uring_probe_op, flags);
  SIZE(io_uring_rsrc_update);
  OFFSET(io_uring_rsrc_update, offset);
  OFFSET(io_uring_rsrc_update, data);
  SIZE(io_uring_buf);
  OFFSET(io_uring_buf, addr);
  OFFSET(io_uring_buf, len);
  OFFSET(io_uring_buf, bid);
  SIZE(io_uring_buf_reg);
  OFFSET(io_uring_buf_reg, ring_addr);
  OFFSET(io_uring_buf_reg, ring_entries);
  OFFSET(io_uring_buf_reg, bgid);

  VALUE(IORING_OP_NOP);
  VALUE(IORING_OP_ACCEPT);
  VALUE(IORING_OP_ASYNC_CANCEL);
  VALUE(IORING_OP_SEND);
  VALUE(IORING_OP_RECV);
  VALUE(IORING_OP_SHUTDOWN);
  VALUE(IORING_OP_SOCKET);
  VALUE(IORING_OP_SEND_ZC);
  VALUE(IORING_SETUP_CQSIZE);
  VALUE(IORING_SETUP_SUBMIT_ALL);
  VALUE(IORING_SETUP_COOP_TASKRUN);
  VALUE(IORING_SETUP_TASKRUN_FLAG);
  VALUE(IORING_SETUP_SINGLE_ISSUER);
  VALUE(IORING_SETUP_DEFER_TASKRUN);
#ifdef IORING_SETUP_NO_SQARRAY
  VALUE(IORING_SETUP_NO_SQARRAY);
#endif
  VALUE(IORING_FEAT_SINGLE_MMAP);
  VALUE(IORING_OFF_SQ_RING);
  VALUE(IORING_OFF_SQES);
  VALUE(IOSQE_BUFFER_SELECT);
  VALUE(IORING_ACCEPT_MULTISHOT);
  VALUE(IORING_RECV_MULTISHOT);
  VALUE(IORING_ASYNC_CANCEL_ALL);
  VALUE(IORING_ASYNC_CANCEL_FD);
  VALUE(IORING_CQE_F_BUFFER);
  VALUE(IORING_CQE_F_MORE);
  VALUE(IORING_CQE_BUFFER_SHIFT);
  VALUE(IORING_SQ_CQ_OVERFLOW);
  VALUE(IORING_SQ_TASKRUN);
#ifdef IORING_CQ_EVENTFD_DISABLED
  VALUE(IORING_CQ_EVENTFD_DISABLED);
#endif
  VALUE(IORING_ENTER_GETEVENTS);
  VALUE(IORING_ENTER_REGISTERED_RING);
  VALUE(IORING_REGISTER_EVENTFD);
  VALUE(IORING_REGISTER_PROBE);
  VALUE(IORING_REGISTER_RING_FDS);
  VALUE(IORING_REGISTER_PBUF_RING);
  VALUE(IORING_UNREGISTER_PBUF_RING);
  VALUE(IO_URING_OP_SUPPORTED);
  return 0;
}
