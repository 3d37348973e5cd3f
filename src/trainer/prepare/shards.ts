/**
 * The token shards of a prepared folder (docs/data-format.md): `{split}.tokens.bin` (uint16 or uint32 ids, little
 * endian) and `{split}.index.bin` (int32 rows: source start, source length, target start, target length), written
 * here and read back by `readSplit`, the inverse the tests and tools use; `readMeta` reads meta.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../common/commandLine';
import type { PrepareMeta } from './meta';

/** One split's examples as the shards hold them. */
export interface EncodedSplit {
  tokens: number[][]; // per example: source ids then target ids
  srcLens: number[];
  trgLens: number[];
}

export function writeShards(
  dir: string,
  split: string,
  examples: EncodedSplit,
  dtype: 'uint16' | 'uint32',
): { tokensBytes: number; indexBytes: number; tokens: number } {
  const total = examples.tokens.reduce((s, t) => s + t.length, 0);
  const tokens = dtype === 'uint16' ? new Uint16Array(total) : new Uint32Array(total);
  const index = new Int32Array(examples.tokens.length * 4);
  let off = 0;
  for (let i = 0; i < examples.tokens.length; i++) {
    const t = examples.tokens[i];
    tokens.set(t, off);
    index[i * 4] = off;
    index[i * 4 + 1] = examples.srcLens[i];
    index[i * 4 + 2] = off + examples.srcLens[i];
    index[i * 4 + 3] = examples.trgLens[i];
    off += t.length;
  }
  if (off > 0x7fffffff) throw new UserError(`${split}: ${off} tokens do not fit int32 offsets`);
  if (os.endianness() !== 'LE') throw new Error('big-endian hosts are not supported');
  const tb = Buffer.from(tokens.buffer, tokens.byteOffset, tokens.byteLength);
  const ib = Buffer.from(index.buffer, index.byteOffset, index.byteLength);
  fs.writeFileSync(path.join(dir, `${split}.tokens.bin`), tb);
  fs.writeFileSync(path.join(dir, `${split}.index.bin`), ib);
  return { tokensBytes: tb.length, indexBytes: ib.length, tokens: total };
}

// Reading a prepared folder back (the tests, tools).

/** One example of a split: its source ids ([TASK] … [SEP]) and target ids (… [SEP]). */
export interface PreparedExample {
  source: number[];
  target: number[];
}

/** A prepared folder's meta.json. */
export function readMeta(dir: string): PrepareMeta {
  return JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as PrepareMeta;
}

/** Reads one split of a prepared folder back into examples. */
export function readSplit(dir: string, split: 'train' | 'valid', meta: PrepareMeta = readMeta(dir)): PreparedExample[] {
  const tb = fs.readFileSync(path.join(dir, `${split}.tokens.bin`));
  const ib = fs.readFileSync(path.join(dir, `${split}.index.bin`));
  const wide = meta.tokenDtype === 'uint32';
  const get = (i: number) => (wide ? tb.readUInt32LE(i * 4) : tb.readUInt16LE(i * 2));
  const out: PreparedExample[] = [];
  for (let r = 0; r < ib.length / 16; r++) {
    const [ss, sl, ts, tl] = [0, 1, 2, 3].map((k) => ib.readInt32LE(r * 16 + k * 4));
    const source: number[] = [];
    const target: number[] = [];
    for (let i = 0; i < sl; i++) source.push(get(ss + i));
    for (let i = 0; i < tl; i++) target.push(get(ts + i));
    out.push({ source, target });
  }
  return out;
}
