// Buffer's fast slice/write methods (node:http itself uses them); declared here
// so the hot paths skip toString's argument handling.
declare global {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    utf8Slice(start: number, end: number): string;
    utf8Write(s: string, offset: number, length?: number): number;
    latin1Write(s: string, offset: number, length?: number): number;
  }
}
export {};
