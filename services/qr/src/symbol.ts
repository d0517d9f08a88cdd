/**
 * The QR symbol as a grid of modules: `qrcode` segments (unless segments.ts knows its
 * answer already) and encodes the content, and the mask is chosen here. `qrcode`'s own
 * mask search scores eight masked copies through per-module method calls and took two
 * thirds of encoding; this one scores them on rows and columns packed into 32-bit words,
 * many modules per operation, with the same rules (ISO/IEC 18004 N1–N4, as `qrcode` 1.5
 * counts them), so it picks the same mask and the symbol is the same module for module.
 *
 * It reads `qrcode` internals (`modules.reservedBit`, `errorCorrectionLevel.bit`) and
 * copies its penalty rules, neither of which is public API: the package is pinned to the
 * exact version in package.json, and a new version is taken only after checking both
 * (and the internal files listed in qrcode-internals.ts).
 */
import QRCode from 'qrcode';
import type { Level } from './options.ts';
import { knownSegments } from './segments.ts';

export interface QrSymbol {
  /** Modules per side, without the quiet zone. */
  size: number;
  /** Row-major, 1 = dark. */
  modules: Uint8Array;
  version: number;
  maskPattern: number;
}

type Mask = (row: number, col: number) => boolean;

const MASKS: readonly Mask[] = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i * j) % 3) + ((i + j) % 2)) % 2 === 0,
];

/** The (15, 5) BCH code of the format information and the mask that keeps it from being all zero. */
const G15 = 0b10100110111;
const G15_MASK = 0b101010000010010;

function formatBits(levelBit: number, mask: number): number {
  const data = (levelBit << 3) | mask;
  let rest = data << 10;
  for (let bit = 14; bit >= 10; bit--) if (rest & (1 << bit)) rest ^= G15 << (bit - 10);
  return ((data << 10) | rest) ^ G15_MASK;
}

/** Where bit i of the format information goes: once beside the top-left finder, once split across the other two. */
function formatPositions(size: number): Array<[number, number]> {
  const at: Array<[number, number]> = [];
  for (let i = 0; i < 15; i++) {
    const down = i < 6 ? i : i < 8 ? i + 1 : size - 15 + i;
    const across = i < 8 ? size - i - 1 : i < 9 ? 15 - i : 14 - i;
    at.push([down * size + 8, 8 * size + across]);
  }
  return at;
}

/**
 * Each row and each column is scored as packed 32-bit words, so that one bitwise operation
 * looks at many modules at once. Word k of a line holds modules 22k to 22k + 31 of it,
 * bit j being module 22k + j: the words overlap by ten modules, which is what the widest
 * window (the eleven of a finder look-alike) needs beyond its first module, so every rule
 * reads within one word and no shifts carry across words. Word k counts only the windows
 * that start in its own 22 modules, so each window is counted once.
 */
const STRIDE = 22;
const OWN = (1 << STRIDE) - 1;
/**
 * Words per line of the largest symbol (177 modules), and plain 32-bit words to pack them
 * from: one more than the line needs, as a word that starts in the last plain word also
 * reads the (zero) one after it.
 */
const MAX_WORDS = Math.ceil(177 / STRIDE);
const MAX_PLAIN = Math.ceil(177 / 32) + 1;

function wordsPerLine(size: number): number {
  return Math.ceil(size / STRIDE);
}

/** Bits 0 to n - 1, for n from 0 to 32. */
function lowBits(n: number): number {
  if (n <= 0) return 0;
  return n >= 32 ? -1 : -1 >>> (32 - n);
}

function ones(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

const plain = new Int32Array(MAX_PLAIN);

/**
 * `grid`'s rows (or its columns, when `byRow` is false) as overlapping words, into `out`.
 * The bits past the last module stay zero: the rules' limits keep every window off them.
 */
function packLines(grid: Uint8Array, size: number, byRow: boolean, out: Int32Array): void {
  const words = wordsPerLine(size);
  const lineStep = byRow ? size : 1;
  const moduleStep = byRow ? 1 : size;
  for (let line = 0; line < size; line++) {
    plain.fill(0);
    for (let at = 0, i = line * lineStep; at < size; at++, i += moduleStep) {
      if (grid[i]) plain[at >>> 5] = (plain[at >>> 5] as number) | (1 << (at & 31));
    }
    for (let k = 0; k < words; k++) {
      const first = k * STRIDE;
      const word = first >>> 5;
      const shift = first & 31;
      const low = (plain[word] as number) >>> shift;
      out[line * words + k] = shift === 0 ? low : low | ((plain[word + 1] as number) << (32 - shift));
    }
  }
}

/**
 * What the rules may look at in word k of a line of one size: `alike`, the pairs of
 * neighbours (module j and j + 1 both in the line); `blocks`, the 2×2 blocks and
 * `finders`, the eleven-module windows that start in the word's own modules and end in
 * the line.
 */
interface Limits {
  alike: Int32Array;
  blocks: Int32Array;
  finders: Int32Array;
}

function limitsFor(size: number): Limits {
  const words = wordsPerLine(size);
  const alike = new Int32Array(words);
  const blocks = new Int32Array(words);
  const finders = new Int32Array(words);
  for (let k = 0; k < words; k++) {
    const first = k * STRIDE;
    alike[k] = lowBits(Math.min(31, size - 1 - first));
    blocks[k] = OWN & lowBits(size - 1 - first);
    finders[k] = OWN & lowBits(size - 10 - first);
  }
  return { alike, blocks, finders };
}

/**
 * N1 and N3 of the windows that start in one word's own modules. N1: a run of n ≥ 5 alike
 * modules has n − 4 five-module windows of one colour and one last such window, and
 * scores 3 + (n − 5) = (n − 4) + 2. N3: a dark-light-dark-dark-dark-light-dark core (1011101)
 * with four light modules after or before it; the two cannot both start at the
 * same module (one starts dark, the other light), so their union is counted.
 */
function runAndFinderPoints(word: number, alike: number, finders: number): number {
  let points = 0;
  const same = ~(word ^ (word >>> 1)) & alike;
  const same2 = same & (same >>> 1);
  const five = same2 & (same2 >>> 2) & OWN;
  if (five !== 0) points += ones(five) + 2 * ones(five & ~(same >>> 4));
  const light = ~word;
  const core = word & (light >>> 1) & (word >>> 2) & (word >>> 3) & (word >>> 4) & (light >>> 5) & (word >>> 6);
  if (core !== 0) {
    const quiet = light & (light >>> 1) & (light >>> 2) & (light >>> 3);
    const found = ((core & (quiet >>> 7)) | (quiet & (core >>> 4))) & finders;
    if (found !== 0) points += 40 * ones(found);
  }
  return points;
}

/** N2: the 2×2 blocks of one colour whose top-left module is in one word's own modules of row `above`. */
function blockPoints(above: number, below: number, blocks: number): number {
  const vertical = ~(above ^ below);
  const found = vertical & (vertical >>> 1) & ~(above ^ (above >>> 1)) & blocks;
  return found === 0 ? 0 : 3 * ones(found);
}

/**
 * The mask penalty of the symbol whose packed rows are `rows ^ rowMask` and whose packed
 * columns are `columns ^ columnMask`: runs of five or more in a row or column (N1), 2×2
 * blocks of one colour (N2), 1:1:3:1:1 finder look-alikes with four light modules on one
 * side (N3), the dark share's distance from 50% (N4), as `qrcode` 1.5 counts them. Every
 * term is non-negative, so once a line ends at `bound` or above the mask cannot win and the
 * count stops.
 */
function penalty(
  rows: Int32Array,
  rowMask: Int32Array,
  columns: Int32Array,
  columnMask: Int32Array,
  size: number,
  limits: Limits,
  bound: number,
): number {
  const words = wordsPerLine(size);
  const { alike, blocks, finders } = limits;
  let points = 0;
  let dark = 0;
  for (let row = 0, i = 0; row < size; row++) {
    for (let k = 0; k < words; k++, i++) {
      const word = (rows[i] as number) ^ (rowMask[i] as number);
      dark += ones(word & OWN);
      points += runAndFinderPoints(word, alike[k] as number, finders[k] as number);
      if (row > 0) {
        const above = (rows[i - words] as number) ^ (rowMask[i - words] as number);
        points += blockPoints(above, word, blocks[k] as number);
      }
    }
    if (points >= bound) return points;
  }
  for (let column = 0, i = 0; column < size; column++) {
    for (let k = 0; k < words; k++, i++) {
      const word = (columns[i] as number) ^ (columnMask[i] as number);
      points += runAndFinderPoints(word, alike[k] as number, finders[k] as number);
    }
    if (points >= bound) return points;
  }
  return points + 10 * Math.abs(Math.ceil((dark * 100) / (size * size) / 5) - 10);
}

/**
 * Per symbol size and error correction level (the reserved modules depend on the version
 * alone, the format information on the level and mask): for each mask, what turns the
 * symbol as masked with pattern 0, format information included, into the one masked with
 * that pattern, packed by rows and by columns. One XOR per word then, instead of a mask
 * function per module and pattern. Bounded by the 40 versions and 4 levels: about 6 MB
 * once every one was seen.
 */
interface Remask {
  limits: Limits;
  rows: Int32Array[];
  columns: Int32Array[];
}

const remasks = new Map<number, Remask>();

function remaskFor(size: number, levelBit: number, reserved: Uint8Array): Remask {
  const key = size * 4 + levelBit;
  let found = remasks.get(key);
  if (found) return found;
  const format = formatPositions(size);
  const words = wordsPerLine(size);
  const rows: Int32Array[] = [];
  const columns: Int32Array[] = [];
  const xor = new Uint8Array(size * size);
  for (const [pattern, mask] of MASKS.entries()) {
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) {
        const i = row * size + col;
        xor[i] = !reserved[i] && (MASKS[0] as Mask)(row, col) !== mask(row, col) ? 1 : 0;
      }
    }
    const change = formatBits(levelBit, pattern) ^ formatBits(levelBit, 0);
    for (let bit = 0; bit < 15; bit++) {
      const [down, across] = format[bit] as [number, number];
      xor[down] = (change >> bit) & 1;
      xor[across] = (change >> bit) & 1;
    }
    rows.push(new Int32Array(size * words));
    columns.push(new Int32Array(size * words));
    packLines(xor, size, true, rows[pattern] as Int32Array);
    packLines(xor, size, false, columns[pattern] as Int32Array);
  }
  found = { limits: limitsFor(size), rows, columns };
  remasks.set(key, found);
  return found;
}

/** The symbol's packed rows and columns as `qrcode` masked them (pattern 0), reused across calls. */
const baseRows = new Int32Array(177 * MAX_WORDS);
const baseColumns = new Int32Array(177 * MAX_WORDS);

/** The modules, row-major, one byte each, of the packed rows `rows ^ mask`. */
function unpackRows(rows: Int32Array, mask: Int32Array, size: number): Uint8Array {
  const words = wordsPerLine(size);
  const modules = new Uint8Array(size * size);
  for (let row = 0, i = 0, at = 0; row < size; row++) {
    for (let k = 0; k < words; k++, i++) {
      const word = (rows[i] as number) ^ (mask[i] as number);
      const end = Math.min(STRIDE, size - k * STRIDE);
      for (let j = 0; j < end; j++, at++) modules[at] = (word >>> j) & 1;
    }
  }
  return modules;
}

/**
 * Encodes `content` at `level`. Throws `qrcode`'s own error when it does not fit.
 */
export function encodeSymbol(content: string, level: Level): QrSymbol {
  // Mask 0 fixed: `qrcode` skips its search; the other masks are one XOR away. Segments
  // given when they are known to be its own: it skips that search too.
  const segments = knownSegments(content, level);
  const base = QRCode.create(segments ?? content, { errorCorrectionLevel: level, maskPattern: 0 });
  const { size, data, reservedBit } = base.modules;
  const remask = remaskFor(size, base.errorCorrectionLevel.bit, reservedBit);
  packLines(data, size, true, baseRows);
  packLines(data, size, false, baseColumns);
  let best = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (let pattern = 0; pattern < MASKS.length; pattern++) {
    const rowMask = remask.rows[pattern] as Int32Array;
    const columnMask = remask.columns[pattern] as Int32Array;
    const points = penalty(baseRows, rowMask, baseColumns, columnMask, size, remask.limits, lowest);
    if (points < lowest) {
      lowest = points;
      best = pattern;
    }
  }
  const modules = unpackRows(baseRows, remask.rows[best] as Int32Array, size);
  return { size, modules, version: base.version, maskPattern: best };
}
