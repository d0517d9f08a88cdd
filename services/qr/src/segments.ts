/**
 * The segments `qrcode` would encode a string as, found without its graph search where
 * that provably gives the same answer, so `qrcode.create` can be handed them and skip it.
 *
 * `qrcode` 1.5 splits the string into maximal runs of digits, of the other alphanumeric
 * characters and of everything else; each run may be encoded in its own mode or in any
 * wider one (digits as numeric, alphanumeric or byte, alphanumeric as alphanumeric or
 * byte). It weighs every choice of the next run's mode with a cost in bits, builds a
 * graph of runs × modes and takes a shortest path with `dijkstrajs`, which allocates an
 * object per node and re-sorts its whole queue on every push: about a fifth of encoding.
 *
 * Here the same graph, with the very same edge weights, is walked layer by layer (every
 * edge leads from one run to the next) counting the shortest paths as well as their
 * length. A Dijkstra search with non-negative weights returns a shortest path, so when
 * there is exactly one, `dijkstrajs` returns it (every node on it then has one shortest
 * path from the start too, so no tie among predecessors can steer it elsewhere); when
 * there are several, which of them it returns depends on its queue's order, and the
 * string is left to `qrcode` to segment. Kanji mode (only on when a Shift JIS converter
 * was set), an empty string and unpaired surrogates (on which `qrcode` throws) are left
 * to it too.
 *
 * The weights reproduce `buildGraph` in `qrcode/lib/core/segments.js`, quirks included:
 * a run continuing the previous run's mode is charged the growth of that segment's data
 * bits from a count that `buildGraph` keeps per previous node and overwrites with each
 * node's length as it visits the next run's modes in order (numeric, alphanumeric, byte),
 * not from the segment's real length. The version that sets the character count widths
 * is the one `qrcode` estimates from the raw runs, computed by its own function. Like
 * symbol.ts, this relies on internals of the pinned version.
 */
import type QRCode from 'qrcode';
import type { Level } from './options.ts';
import { qrcodeLevels, qrcodeModes, qrcodeUtils, qrcodeVersions } from './qrcode-internals.ts';

/** Modes by width: a run may be encoded in its own mode or any wider one. */
const NUMERIC = 0;
const ALPHANUMERIC = 1;
const BYTE = 2;
const MODE_NAMES = ['numeric', 'alphanumeric', 'byte'] as const;
const QRCODE_MODES = [qrcodeModes.NUMERIC, qrcodeModes.ALPHANUMERIC, qrcodeModes.BYTE];
/** Character count indicator widths for versions 1–9, 10–26 and 27–40. */
const COUNT_BITS = [
  [10, 12, 14],
  [9, 11, 13],
  [8, 16, 16],
] as const;

/** Data bits of `length` characters (bytes, in byte mode) in `mode`, without mode and count indicators. */
function dataBits(mode: number, length: number): number {
  if (mode === NUMERIC) return 10 * Math.floor(length / 3) + (length % 3 ? (length % 3) * 3 + 1 : 0);
  if (mode === ALPHANUMERIC) return 11 * Math.floor(length / 2) + 6 * (length % 2);
  return 8 * length;
}

/** What starting a new segment costs: its data bits, the mode indicator and the character count. */
function segmentBits(mode: number, length: number, countBits: number[]): number {
  return dataBits(mode, length) + 4 + (countBits[mode] as number);
}

const ALPHANUMERIC_SYMBOLS = new Set(' $%*+-./:');

function modeOf(code: number, char: string): number {
  if (code >= 48 && code <= 57) return NUMERIC;
  if ((code >= 65 && code <= 90) || ALPHANUMERIC_SYMBOLS.has(char)) return ALPHANUMERIC;
  return BYTE;
}

/** A maximal run of one character class: its narrowest mode, where it is, and its length in that mode. */
interface Run {
  mode: number;
  start: number;
  end: number;
  /** Characters, or UTF-8 bytes for a byte run (its only mode). */
  length: number;
}

/** The runs `qrcode` splits `content` into, or undefined at an unpaired surrogate. */
function runsOf(content: string): Run[] | undefined {
  const runs: Run[] = [];
  let i = 0;
  while (i < content.length) {
    const mode = modeOf(content.charCodeAt(i), content[i] as string);
    const start = i;
    let length = 0;
    while (i < content.length && modeOf(content.charCodeAt(i), content[i] as string) === mode) {
      const code = content.charCodeAt(i);
      if (mode !== BYTE || code < 0x80) length += 1;
      else if (code < 0x800) length += 2;
      else if (code >= 0xdc00 && code <= 0xdfff) return undefined;
      else if (code >= 0xd800 && code <= 0xdbff) {
        const next = content.charCodeAt(i + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) return undefined;
        length += 4;
        i++;
      } else length += 3;
      i++;
    }
    runs.push({ mode, start, end: i, length });
  }
  return runs;
}

/** A run as the segment `rawSplit` would make of it, as far as the version estimate reads one. */
class RawSegment {
  readonly mode: unknown;
  private readonly run: Run;

  constructor(run: Run) {
    this.mode = QRCODE_MODES[run.mode];
    this.run = run;
  }

  getLength(): number {
    return this.run.length;
  }

  getBitsLength(): number {
    return dataBits(this.run.mode, this.run.length);
  }
}

/**
 * The version `qrcode` estimates from the raw runs before it segments, by its own
 * function: given each run's mode, its length in characters or UTF-8 bytes and its data
 * bits, which is all that function reads. Undefined when they fit in no version.
 */
function estimatedVersion(runs: Run[], level: Level): number | undefined {
  return qrcodeVersions.getBestVersionForData(
    runs.map((run) => new RawSegment(run)),
    qrcodeLevels[level],
  );
}

/** Shortest cost to each mode of the current run, how many shortest paths reach it (1 or "more"), and from which mode. */
interface Layer {
  cost: number[];
  paths: number[];
  from: number[];
}

/**
 * Extends the shortest paths from the previous run's modes to this run's, with the edge
 * weights `buildGraph` gives: for each mode of this run in order, for each mode of the
 * previous run in order, either the growth of a segment continued in the same mode from
 * the previous node's count, or a new segment, whose length becomes that count.
 * (`buildGraph` also raises the count after a continuation; no later mode of the run is
 * the same one, so that count is never read.)
 */
function extend(previous: Layer | undefined, previousRun: Run | undefined, run: Run, countBits: number[]): Layer {
  const layer: Layer = { cost: [], paths: [], from: [] };
  const counts = [0, 0, 0];
  for (let mode = run.mode; mode <= BYTE; mode++) {
    if (!previous || !previousRun) {
      layer.cost[mode] = segmentBits(mode, run.length, countBits);
      layer.paths[mode] = 1;
      layer.from[mode] = -1;
      continue;
    }
    let best = Number.POSITIVE_INFINITY;
    let paths = 0;
    let from = -1;
    for (let before = previousRun.mode; before <= BYTE; before++) {
      let weight: number;
      const count = counts[before] as number;
      if (before === mode) {
        weight = dataBits(mode, count + run.length) - dataBits(mode, count);
      } else {
        counts[before] = run.length;
        weight = segmentBits(mode, run.length, countBits);
      }
      const cost = (previous.cost[before] as number) + weight;
      if (cost < best) {
        best = cost;
        paths = previous.paths[before] as number;
        from = before;
      } else if (cost === best) paths = Math.min(2, paths + (previous.paths[before] as number));
    }
    layer.cost[mode] = best;
    layer.paths[mode] = paths;
    layer.from[mode] = from;
  }
  return layer;
}

/**
 * The segments `qrcode.create(content, { errorCorrectionLevel: level })` would encode, or
 * undefined when they are not provably known without its own search (see above).
 */
export function knownSegments(content: string, level: Level): QRCode.QRCodeSegment[] | undefined {
  if (content === '' || qrcodeUtils.isKanjiModeEnabled()) return undefined;
  const runs = runsOf(content);
  if (!runs) return undefined;
  const version = estimatedVersion(runs, level) ?? 40;
  const width = version < 10 ? 0 : version < 27 ? 1 : 2;
  const countBits = COUNT_BITS.map((widths) => widths[width] as number);

  const layers: Layer[] = [];
  for (const [i, run] of runs.entries()) layers.push(extend(layers[i - 1], runs[i - 1], run, countBits));
  const last = layers[layers.length - 1] as Layer;
  let mode = -1;
  let paths = 0;
  for (let candidate = (runs[runs.length - 1] as Run).mode; candidate <= BYTE; candidate++) {
    if (mode < 0 || (last.cost[candidate] as number) < (last.cost[mode] as number)) {
      mode = candidate;
      paths = last.paths[candidate] as number;
    } else if (last.cost[candidate] === last.cost[mode]) paths += last.paths[candidate] as number;
  }
  if (paths !== 1) return undefined;

  const modes: number[] = [];
  for (let i = runs.length - 1; i >= 0; i--) {
    modes[i] = mode;
    mode = (layers[i] as Layer).from[mode] as number;
  }
  const segments: QRCode.QRCodeSegment[] = [];
  let start = 0;
  for (let i = 1; i <= runs.length; i++) {
    if (i < runs.length && modes[i] === modes[i - 1]) continue;
    const data = content.slice((runs[start] as Run).start, (runs[i - 1] as Run).end);
    // The typings allow only bytes as byte-mode data; a string is what qrcode's own
    // segmentation hands its byte segments too, encoded as UTF-8 there.
    segments.push({ data, mode: MODE_NAMES[modes[start] as number] } as QRCode.QRCodeSegment);
    start = i;
  }
  return segments;
}
