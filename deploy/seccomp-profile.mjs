// Writes seccomp-io_uring.json: a Docker default seccomp profile plus exactly
// io_uring_setup, io_uring_enter and io_uring_register (Docker ≥ 25 removed
// them from its default; Ringside's native engine then falls back to epoll).
//   node deploy/seccomp-profile.mjs <docker default.json> [out.json]
// Regenerate from the default of the Docker version you run: newer releases
// allow a few more syscalls than the one shipped here was made from (see README).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const IO_URING_SYSCALLS = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'];

/** `profile` with io_uring allowed in one rule of its own, so the one change is plain to see. */
export function withIoUring(profile) {
  const syscalls = profile.syscalls
    .map((rule) => ({ ...rule, names: rule.names.filter((name) => !IO_URING_SYSCALLS.includes(name)) }))
    .filter((rule) => rule.names.length > 0);
  syscalls.push({
    names: IO_URING_SYSCALLS,
    action: 'SCMP_ACT_ALLOW',
    comment: "Ringside: the only change to Docker's default profile (io_uring, removed from the default in Docker 25)",
  });
  return { ...profile, syscalls };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [source, out = fileURLToPath(new URL('./seccomp-io_uring.json', import.meta.url))] = process.argv.slice(2);
  if (!source) {
    console.error('usage: node seccomp-profile.mjs <docker default.json> [out.json]');
    process.exit(2);
  }
  writeFileSync(out, `${JSON.stringify(withIoUring(JSON.parse(readFileSync(source, 'utf8'))), null, 2)}\n`);
  console.log(`wrote ${out}`);
}
