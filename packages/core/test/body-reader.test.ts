// The request body state machine both backends share (src/body-reader.ts), driven directly.
import { describe, expect, it } from 'vitest';
import { BodyReader } from '../src/body-reader.js';

class Reader extends BodyReader {
  readonly calls: string[] = [];
  protected startBody(): void {
    this.calls.push('start');
  }
  protected pauseSource(): void {
    this.calls.push('pause');
  }
  protected resumeSource(): void {
    this.calls.push('resume');
  }
  protected discardSource(): void {
    this.calls.push('discard');
  }
  protected override bodyFailed(): void {
    this.calls.push('failed');
  }
}

function sink(r: BodyReader): string[] {
  const got: string[] = [];
  r.readBody(
    (c) => got.push(`chunk ${c.toString()}`),
    () => got.push('end'),
    (e) => got.push(`error ${e.message}`),
  );
  return got;
}

describe('BodyReader', () => {
  it('holds chunks that arrive before readBody, then hands them over in order', () => {
    const r = new Reader(true);
    r.pushChunk(Buffer.from('a'));
    r.pushChunk(Buffer.from('b'));
    const got = sink(r);
    expect(r.calls).toEqual(['start']);
    r.pushChunk(Buffer.from('c'));
    r.endBody();
    r.endBody();
    expect(got).toEqual(['chunk a', 'chunk b', 'chunk c', 'end']);
  });

  it('a body that ended before readBody ends at once, without starting the source', () => {
    const r = new Reader(true);
    r.pushChunk(Buffer.from('x'));
    r.endBody();
    expect(sink(r)).toEqual(['chunk x', 'end']);
    expect(r.calls).toEqual([]);
  });

  it('no body: readBody ends at once; pause and resume do nothing', () => {
    const r = new Reader(false);
    expect(sink(r)).toEqual(['end']);
    r.pauseBody();
    r.resumeBody();
    expect(r.calls).toEqual([]);
  });

  it('readBody twice throws', () => {
    const r = new Reader(false);
    sink(r);
    expect(() => sink(r)).toThrow(/once per request/);
  });

  it('a failure reaches the sink once, drops held chunks, and ends nothing', () => {
    const r = new Reader(true);
    r.pushChunk(Buffer.from('held'));
    r.failBody(new Error('boom'));
    r.failBody(new Error('again'));
    r.endBody();
    r.pushChunk(Buffer.from('late'));
    expect(sink(r)).toEqual(['error boom']);
    expect(r.calls).toEqual(['failed']);
    expect(r.bodyDone).toBe(true);
  });

  it('a failure while reading stops the chunks and is the last callback', () => {
    const r = new Reader(true);
    const got = sink(r);
    r.pushChunk(Buffer.from('1'));
    r.failBody(new Error('reset'));
    r.pushChunk(Buffer.from('2'));
    r.endBody();
    expect(got).toEqual(['chunk 1', 'error reset']);
  });

  it('pause and resume reach the source only while the body arrives', () => {
    const r = new Reader(true);
    sink(r);
    r.pauseBody();
    r.resumeBody();
    r.endBody();
    r.pauseBody();
    expect(r.calls).toEqual(['start', 'pause', 'resume']);
  });

  it('a discarded body reaches nobody, and the source is told once', () => {
    const r = new Reader(true);
    const got = sink(r);
    r.pushChunk(Buffer.from('1'));
    r.discardBody();
    r.discardBody();
    r.pushChunk(Buffer.from('2'));
    r.pauseBody();
    r.endBody();
    r.failBody(new Error('late'));
    expect(got).toEqual(['chunk 1']);
    expect(r.calls).toEqual(['start', 'discard']);
  });

  it('discarding a body already complete does not touch the source', () => {
    const r = new Reader(true);
    r.endBody();
    r.discardBody();
    expect(r.calls).toEqual([]);
  });
});
