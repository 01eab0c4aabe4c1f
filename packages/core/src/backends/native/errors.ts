import { constants } from 'node:os';

const names = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** 'EADDRINUSE' for 98 (or -98). */
export function errnoName(errno: number): string {
  return names.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

/** An Error for a negative errno from the native loop, shaped like node's (code, errno, syscall). */
export function errnoError(negErrno: number, syscall: string): Error {
  const code = errnoName(negErrno);
  const err = new Error(`${syscall} ${code}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = negErrno;
  err.syscall = syscall;
  return err;
}
