import { loadBinding, type ProbeResult } from '@ringside/native';

/** What io_uring features this machine has, or why the addon is unavailable. */
export function probe(): ProbeResult {
  const { binding, error } = loadBinding();
  if (binding) return binding.probe();
  return { usable: false, reason: error, errno: 0, kernel: '', ioUringDisabled: -1, setupFlags: [], features: {} };
}
