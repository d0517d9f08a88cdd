/**
 * The QR symbol as a grid of modules: `qrcode` segments and encodes the content, and the
 * mask is chosen here. `qrcode`'s own mask search scores eight masked copies through
 * per-module method calls and took two thirds of encoding; this one scores them on the
 * flat array with the same rules (ISO/IEC 18004 N1–N4, as `qrcode` 1.5 counts them), so
 * it picks the same mask and the symbol is the same module for module.
 *
 * It reads `qrcode` internals (`modules.reservedBit`, `errorCorrectionLevel.bit`) and
 * copies its penalty rules, neither of which is public API: the package is pinned to the
 * exact version in package.json, and a new version is taken only after checking both.
 */
import QRCode from 'qrcode';
import type { Level } from './options.ts';

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

/** Run lengths, colours and the last 11 modules of each column, reused across calls. */
const columnRun = new Int32Array(177);
const columnLast = new Int32Array(177);
const columnBits = new Int32Array(177);

/**
 * The mask penalty of `m`, in one row-major pass: runs of five or more in a row or column
 * (N1), 2×2 blocks of one colour (N2), 1:1:3:1:1 finder look-alikes with four light
 * modules on one side (N3), the dark share's distance from 50% (N4). Every term is
 * positive, so once a row ends at `bound` or above the mask cannot win and the count stops.
 */
function penalty(m: Uint8Array, size: number, bound: number): number {
  let points = 0;
  let dark = 0;
  columnRun.fill(0, 0, size);
  columnLast.fill(-1, 0, size);
  columnBits.fill(0, 0, size);
  for (let row = 0, i = 0; row < size; row++) {
    let run = 0;
    let last = -1;
    let bits = 0;
    for (let col = 0; col < size; col++, i++) {
      const v = m[i] as number;
      dark += v;
      if (v === last) run++;
      else {
        if (run >= 5) points += run - 2;
        last = v;
        run = 1;
      }
      if (v === columnLast[col]) columnRun[col] = (columnRun[col] as number) + 1;
      else {
        const columnLength = columnRun[col] as number;
        if (columnLength >= 5) points += columnLength - 2;
        columnLast[col] = v;
        columnRun[col] = 1;
      }
      bits = ((bits << 1) & 0x7ff) | v;
      const down = (((columnBits[col] as number) << 1) & 0x7ff) | v;
      columnBits[col] = down;
      if (col >= 10 && (bits === 0x5d0 || bits === 0x05d)) points += 40;
      if (row >= 10 && (down === 0x5d0 || down === 0x05d)) points += 40;
      if (row > 0 && col > 0) {
        const block = v + (m[i - 1] as number) + (m[i - size] as number) + (m[i - size - 1] as number);
        if (block === 0 || block === 4) points += 3;
      }
    }
    if (run >= 5) points += run - 2;
    if (points >= bound) return points;
  }
  for (let col = 0; col < size; col++) {
    const columnLength = columnRun[col] as number;
    if (columnLength >= 5) points += columnLength - 2;
  }
  return points + 10 * Math.abs(Math.ceil((dark * 100) / (size * size) / 5) - 10);
}

/**
 * Per symbol size (the reserved modules depend on the version alone): for each mask, what
 * turns the symbol as masked with pattern 0 into the one masked with that pattern. One
 * XOR per module then, instead of a mask function per module and pattern. Bounded by
 * the 40 versions: 8 masks of size² bytes each, about 3.8 MB once every version was seen.
 */
const remasks = new Map<number, Uint8Array[]>();

function remasksFor(size: number, reserved: Uint8Array): Uint8Array[] {
  let found = remasks.get(size);
  if (found) return found;
  found = MASKS.map((mask) => {
    const xor = new Uint8Array(size * size);
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) {
        const i = row * size + col;
        if (!reserved[i] && (MASKS[0] as Mask)(row, col) !== mask(row, col)) xor[i] = 1;
      }
    }
    return xor;
  });
  remasks.set(size, found);
  return found;
}

/**
 * Encodes `content` at `level`. Throws `qrcode`'s own error when it does not fit.
 */
export function encodeSymbol(content: string, level: Level): QrSymbol {
  // Mask 0 fixed: `qrcode` skips its search; the other masks are one XOR away.
  const base = QRCode.create(content, { errorCorrectionLevel: level, maskPattern: 0 });
  const { size, data, reservedBit } = base.modules;
  const xors = remasksFor(size, reservedBit);
  const format = formatPositions(size);
  const levelBit = base.errorCorrectionLevel.bit;
  const cells = size * size;
  const masked = new Uint8Array(cells);
  const apply = (pattern: number) => {
    const xor = xors[pattern] as Uint8Array;
    for (let i = 0; i < cells; i++) masked[i] = (data[i] as number) ^ (xor[i] as number);
    const bits = formatBits(levelBit, pattern);
    for (let bit = 0; bit < 15; bit++) {
      const value = (bits >> bit) & 1;
      const [down, across] = format[bit] as [number, number];
      masked[down] = value;
      masked[across] = value;
    }
  };
  let best = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (let pattern = 0; pattern < MASKS.length; pattern++) {
    apply(pattern);
    const points = penalty(masked, size, lowest);
    if (points < lowest) {
      lowest = points;
      best = pattern;
    }
  }
  apply(best);
  return { size, modules: masked, version: base.version, maskPattern: best };
}
