/**
 * What a user can change so the native engine runs on io_uring, for each way
 * the probe can fail. Said once here for the backend log line, the error an
 * explicit `backend: 'io_uring'` throws, and `ringside doctor`.
 */
import type { ProbeResult } from '@ringside/native';

const EPERM = 1;
const ENOSYS = 38;

export const SECCOMP_FIX =
  'allow the syscalls io_uring_setup, io_uring_enter and io_uring_register in the seccomp profile ' +
  '(Docker: `docker run --security-opt seccomp=<profile.json>` with those three allowed, or `--security-opt seccomp=unconfined`; ' +
  'Kubernetes: a Localhost seccompProfile that allows them)';

export const SYSCTL_FIX =
  'allow io_uring: `sysctl -w kernel.io_uring_disabled=0` (as root; keep it in /etc/sysctl.d/), ' +
  'or with kernel.io_uring_disabled=1 run as a member of the group in kernel.io_uring_group';

export const KERNEL_FIX = 'run on Linux 6.0 or newer (multishot receive and provided buffer rings; 6.1 adds DEFER_TASKRUN)';

/** The fix for an io_uring probe that failed. */
export function ioUringFix(p: Pick<ProbeResult, 'errno' | 'ioUringDisabled'>): string {
  if (p.errno === EPERM && p.ioUringDisabled > 0) return SYSCTL_FIX;
  if (p.errno === EPERM) return SECCOMP_FIX;
  if (p.errno === ENOSYS) return KERNEL_FIX;
  return 'run `npx ringside doctor` and see its io_uring line';
}

/** "cause; to fix: fix", or the cause alone when there is nothing to fix. */
export function withFix(cause: string, fix: string): string {
  return fix ? `${cause}; to fix: ${fix}` : cause;
}
