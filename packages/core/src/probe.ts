import { loadBinding, type ProbeResult } from '@ringside/native';

export interface BackendsProbe extends ProbeResult {
  /** The native engine on epoll: usable wherever the addon loads (Linux), with the reason otherwise. */
  epoll: { usable: boolean; reason: string };
}

/** What io_uring features this machine has (or why not), and whether the epoll driver can run. */
export function probe(): BackendsProbe {
  const { binding, error } = loadBinding();
  const epoll = { usable: binding !== null, reason: binding ? '' : error };
  if (binding) return { ...binding.probe(), epoll };
  return { usable: false, reason: error, errno: 0, kernel: '', ioUringDisabled: -1, setupFlags: [], features: {}, epoll };
}
