/**
 * The `ringside` command (bin/ringside.js): `ringside doctor [--json]`.
 * Returns the exit status: 0 when the command ran, 2 for a usage error.
 */
import { doctor, formatDoctor } from './doctor.js';

const USAGE = 'usage: ringside doctor [--json]\n  doctor   what this machine gives Ringside (addon, io_uring, epoll, limits) and what to change';

export function runCli(args: string[], out: (text: string) => void = (t) => process.stdout.write(t)): number {
  const [command, ...rest] = args;
  if (command === 'doctor' && rest.every((a) => a === '--json')) {
    const report = doctor();
    out(rest.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`ringside: unknown command or option: ${args.join(' ')}\n${USAGE}\n`);
  return 2;
}
