/**
 * Payload corpora for the compression sections (12, 13). Autobahn ships five
 * files (a JSON document, a 512x512 bitmap, Goethe's Faust, an HTML page, a
 * PDF); they are not in this repository, so each is replaced by a seeded,
 * generated stand-in of the same kind and similar compressibility. Messages
 * are slices of a corpus taken one after the other, wrapping at its end.
 */

/** mulberry32: a small seeded PRNG, so the corpora are the same on every run. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SIZE = 256 * 1024;
const WORDS =
  'der die und in den von zu das mit sich des auf fuer ist im dem nicht ein eine als auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem ueber einen so zum war haben nur oder aber vor zur bis mehr durch man sein wurde sei Faust Mephistopheles Gretchen Wagner Geist Teufel Himmel Erde Seele Herz Natur Nacht Liebe Welt Zeit'.split(
    ' ',
  );

/** @param {() => number} rnd @param {readonly string[]} list */
const pick = (rnd, list) => list[Math.floor(rnd() * list.length)];

/** @param {() => number} rnd @param {number} n */
function sentence(rnd, n) {
  const words = Array.from({ length: n }, () => pick(rnd, WORDS));
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return `${words.join(' ')}.`;
}

/** @param {(rnd: () => number) => string} piece @param {number} seed */
function textCorpus(piece, seed) {
  const rnd = prng(seed);
  let s = '';
  while (s.length < SIZE) s += piece(rnd);
  // ASCII only: a slice cut at any octet is then still valid UTF-8.
  if (Buffer.byteLength(s) !== s.length) throw new Error('text corpus must be ASCII');
  return Buffer.from(s.slice(0, SIZE), 'latin1');
}

const CORPORA = {
  json_data1: {
    desc: 'Large JSON document (generated stand-in)',
    binary: false,
    make: () =>
      textCorpus(
        (rnd) =>
          `${JSON.stringify({
            id: Math.floor(rnd() * 1e6),
            name: sentence(rnd, 2),
            active: rnd() < 0.5,
            score: Math.round(rnd() * 1e4) / 100,
            tags: [pick(rnd, WORDS), pick(rnd, WORDS)],
            text: sentence(rnd, 8),
          })},\n`,
        1,
      ),
  },
  lena512: {
    desc: 'Grey-scale bitmap 512x512 (generated stand-in)',
    binary: true,
    make: () => {
      const rnd = prng(2);
      const out = Buffer.alloc(SIZE);
      out.write('BM', 0, 'latin1');
      // A smooth image with a little noise: compresses like a photograph, poorly but not nothing.
      for (let i = 1078; i < SIZE; i++) {
        const x = i % 512;
        const y = Math.floor(i / 512);
        out[i] = (128 + 60 * Math.sin(x / 37) + 50 * Math.cos(y / 23) + rnd() * 16) & 0xff;
      }
      return out;
    },
  },
  gutenberg_faust: {
    desc: 'Human-readable German text (generated stand-in)',
    binary: true,
    make: () => textCorpus((rnd) => `${sentence(rnd, 4 + Math.floor(rnd() * 12))}${rnd() < 0.2 ? '\n\n' : ' '}`, 3),
  },
  html_data1: {
    desc: 'Large HTML page (generated stand-in)',
    binary: false,
    make: () =>
      textCorpus(
        (rnd) =>
          `<div class="${pick(rnd, WORDS)}"><h2>${sentence(rnd, 3)}</h2><p>${sentence(rnd, 14)}</p><a href="/${pick(rnd, WORDS)}">${pick(rnd, WORDS)}</a></div>\n`,
        4,
      ),
  },
  ooms: {
    desc: 'A larger PDF: mostly compressed streams (generated stand-in)',
    binary: true,
    make: () => {
      const rnd = prng(5);
      const out = Buffer.alloc(SIZE);
      for (let i = 0; i < SIZE; i++) out[i] = Math.floor(rnd() * 256);
      for (let i = 0; i < SIZE - 64; i += 8192) out.write(`%PDF obj ${i} 0 obj << /Length 8100 /Filter /FlateDecode >> stream\n`, i, 'latin1');
      return out;
    },
  },
};

/** @typedef {keyof typeof CORPORA} CorpusName */
export const CORPUS_NAMES = /** @type {CorpusName[]} */ (Object.keys(CORPORA));

/** @type {Map<string, Buffer>} */
const cache = new Map();

/** @param {CorpusName} name */
export function corpusInfo(name) {
  return { desc: CORPORA[name].desc, binary: CORPORA[name].binary, size: SIZE };
}

/** @param {CorpusName} name @returns {Buffer} */
export function corpus(name) {
  let data = cache.get(name);
  if (!data) {
    data = CORPORA[name].make();
    cache.set(name, data);
  }
  return data;
}

/**
 * Successive `len`-octet slices of a corpus, wrapping at its end, as Autobahn
 * takes its messages. The text corpora are ASCII, so a slice is valid UTF-8.
 * @param {CorpusName} name @param {number} len
 */
export function* slices(name, len) {
  const data = corpus(name);
  let at = 0;
  for (;;) {
    if (len === 0) yield Buffer.alloc(0);
    else {
      const end = (at + len) % data.length;
      yield end > at ? data.subarray(at, end) : Buffer.concat([data.subarray(at), data.subarray(0, end)]);
      at = end;
    }
  }
}
