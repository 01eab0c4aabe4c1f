/**
 * Makes the npm build of uWebSockets.js (@btc-vision/uwebsockets.js 20.57)
 * load on a glibc older than the 2.38 it was linked against (Debian 12 has
 * 2.36). The addon needs exactly three glibc 2.38 symbols, the C23 variants
 * __isoc23_strtol/strtoul/sscanf; everything else it uses exists in 2.36.
 *
 * What it does, into bench/node_modules/.cache/ringside-uws/ (never touching
 * the installed package):
 *  1. builds glibc-shim.c (those three, forwarding to the C99 functions) into
 *     a shared object for LD_PRELOAD;
 *  2. copies the addon and marks its "needs GLIBC_2.38" entry weak
 *     (VER_FLG_WEAK in .gnu.version_r), so the dynamic loader accepts a libc
 *     without that version and binds the symbols to the preloaded shim.
 * It first checks, from the addon's dynamic symbol table, that the shim
 * covers every symbol of a glibc version newer than the running one, and
 * refuses (with the names) otherwise. On glibc ≥ 2.38 nothing is patched.
 *
 * `prepareUws()` returns the environment for the server process:
 * { UWS_ADDON, LD_PRELOAD? }. CLI: `node bench/lib/uws/prepare.js` prints it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BENCH_DIR = path.resolve(HERE, '..', '..');
const CACHE_DIR = path.join(BENCH_DIR, 'node_modules', '.cache', 'ringside-uws');
export const UWS_PACKAGE = '@btc-vision/uwebsockets.js';

/** The symbols glibc-shim.c defines. */
const SHIMMED = new Set(['__isoc23_strtol', '__isoc23_strtoul', '__isoc23_sscanf']);

const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const VER_FLG_WEAK = 0x2;

/**
 * @typedef {object} ElfSection
 * @property {number} type
 * @property {number} offset
 * @property {number} size
 * @property {number} link   index of the linked section (the string table)
 * @property {number} info
 */

/**
 * Section headers of a 64-bit little-endian ELF file.
 * @param {Buffer} elf
 * @returns {ElfSection[]}
 */
function sections(elf) {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const out = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    out.push({
      type: elf.readUInt32LE(h + 4),
      offset: Number(elf.readBigUInt64LE(h + 24)),
      size: Number(elf.readBigUInt64LE(h + 32)),
      link: elf.readUInt32LE(h + 40),
      info: elf.readUInt32LE(h + 44),
    });
  }
  return out;
}

/** NUL-terminated string at `offset` of a string table section. */
const cString = (elf, table, offset) => {
  const start = table.offset + offset;
  return elf.toString('latin1', start, elf.indexOf(0, start));
};

/**
 * Every version the file needs (.gnu.version_r), with where its flags live.
 * @param {Buffer} elf
 * @param {ElfSection[]} secs
 * @returns {{ file: string, name: string, index: number, flagsAt: number }[]}
 */
function versionNeeds(elf, secs) {
  const sec = secs.find((s) => s.type === SHT_GNU_VERNEED);
  if (!sec) return [];
  const strtab = secs[sec.link];
  const out = [];
  let vn = sec.offset;
  for (let i = 0; i < sec.info; i++) {
    const file = cString(elf, strtab, elf.readUInt32LE(vn + 4));
    let aux = vn + elf.readUInt32LE(vn + 8);
    for (let j = 0; j < elf.readUInt16LE(vn + 2); j++) {
      out.push({ file, name: cString(elf, strtab, elf.readUInt32LE(aux + 8)), index: elf.readUInt16LE(aux + 6), flagsAt: aux + 4 });
      aux += elf.readUInt32LE(aux + 12);
    }
    vn += elf.readUInt32LE(vn + 12);
  }
  return out;
}

/**
 * Undefined dynamic symbols with the version index each requires.
 * @param {Buffer} elf
 * @param {ElfSection[]} secs
 * @returns {{ name: string, version: number }[]}
 */
function undefinedSymbols(elf, secs) {
  const dynsym = secs.find((s) => s.type === SHT_DYNSYM);
  const versym = secs.find((s) => s.type === SHT_GNU_VERSYM);
  if (!dynsym || !versym) return [];
  const strtab = secs[dynsym.link];
  const out = [];
  for (let i = 0, at = dynsym.offset; at < dynsym.offset + dynsym.size; i++, at += 24) {
    if (elf.readUInt16LE(at + 6) !== 0) continue; // st_shndx: defined here
    const nameOff = elf.readUInt32LE(at);
    if (nameOff === 0) continue;
    out.push({ name: cString(elf, strtab, nameOff), version: elf.readUInt16LE(versym.offset + i * 2) & 0x7fff });
  }
  return out;
}

/** "GLIBC_2.38" newer than "2.36"? */
function newerGlibc(versionName, runtime) {
  const m = /^GLIBC_(\d+)\.(\d+)/.exec(versionName);
  const [rMaj, rMin] = runtime.split('.').map(Number);
  return !!m && (Number(m[1]) > rMaj || (Number(m[1]) === rMaj && Number(m[2]) > rMin));
}

/**
 * Marks the glibc versions newer than `runtime` weak, after checking the
 * shim covers every symbol that needs them. Returns the versions marked.
 * @param {Buffer} elf modified in place
 * @param {string} runtime e.g. "2.36"
 * @returns {string[]}
 */
export function weakenNewerGlibc(elf, runtime) {
  const secs = sections(elf);
  const newer = versionNeeds(elf, secs).filter((v) => v.file.startsWith('libc.so') && newerGlibc(v.name, runtime));
  const newerIndex = new Set(newer.map((v) => v.index));
  const uncovered = undefinedSymbols(elf, secs).filter((s) => newerIndex.has(s.version) && !SHIMMED.has(s.name));
  if (uncovered.length) {
    throw new Error(`needs glibc symbols the shim does not provide: ${uncovered.map((s) => s.name).join(', ')} (glibc here: ${runtime})`);
  }
  for (const v of newer) elf.writeUInt16LE(elf.readUInt16LE(v.flagsAt) | VER_FLG_WEAK, v.flagsAt);
  return newer.map((v) => v.name);
}

/** Rebuilds `target` from `source` when missing or older. */
const stale = (target, source) => !existsSync(target) || statSync(target).mtimeMs < statSync(source).mtimeMs;

/**
 * @returns {{ env: Record<string, string>, note: string }} the server's environment and what was done
 */
export function prepareUws() {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve(UWS_PACKAGE));
  const version = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  const addon = path.join(pkgDir, `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  if (!existsSync(addon))
    throw new Error(`${UWS_PACKAGE} ${version} has no build for ${process.platform}-${process.arch}, Node ABI ${process.versions.modules}`);
  const runtime = /** @type {any} */ (process.report?.getReport())?.header?.glibcVersionRuntime;
  if (!runtime) throw new Error(`${UWS_PACKAGE} needs glibc (this is not a glibc system)`);
  const elf = readFileSync(addon);
  const probe = Buffer.from(elf);
  if (weakenNewerGlibc(probe, runtime).length === 0) {
    return { env: { UWS_ADDON: addon }, note: `uWS.js ${version} as installed (glibc ${runtime})` };
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const shimSrc = path.join(HERE, 'glibc-shim.c');
  const shim = path.join(CACHE_DIR, 'glibc-shim.so');
  if (stale(shim, shimSrc)) {
    const cc = spawnSync(process.env.CC ?? 'cc', ['-shared', '-fPIC', '-O2', '-o', shim, shimSrc], { encoding: 'utf8', timeout: 60_000 });
    if (cc.status !== 0) throw new Error(`could not build the glibc shim (cc): ${(cc.stderr || cc.error?.message || '').trim().split('\n')[0]}`);
  }
  const patched = path.join(CACHE_DIR, path.basename(addon));
  if (stale(patched, addon)) {
    weakenNewerGlibc(elf, runtime);
    // Whole file, then rename: a concurrent loader never sees half of it.
    writeFileSync(`${patched}.${process.pid}.tmp`, elf);
    renameSync(`${patched}.${process.pid}.tmp`, patched);
  }
  return {
    env: { UWS_ADDON: patched, LD_PRELOAD: [shim, process.env.LD_PRELOAD].filter(Boolean).join(' ') },
    note: `uWS.js ${version} with a glibc ${runtime} shim (LD_PRELOAD ${path.relative(BENCH_DIR, shim)})`,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { env, note } = prepareUws();
  process.stderr.write(note + '\n');
  for (const [k, v] of Object.entries(env)) process.stdout.write(`${k}=${v}\n`);
}
