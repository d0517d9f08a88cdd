/**
 * The internals of the pinned `qrcode` (package.json holds the exact version) that the
 * code and its tests read, in one place: before taking a new version, check these still
 * exist and mean the same. `qrcode`'s own entry point loads every one of these files, so
 * reaching them costs nothing extra.
 */
import { createRequire } from 'node:module';
import type QRCode from 'qrcode';
import type { Level } from './options.ts';

const internal = createRequire(import.meta.url);

export const qrcodeModes = internal('qrcode/lib/core/mode.js') as Record<'NUMERIC' | 'ALPHANUMERIC' | 'BYTE', unknown>;

export const qrcodeVersions = internal('qrcode/lib/core/version.js') as {
  getBestVersionForData(segments: unknown[], level: unknown): number | undefined;
  getCapacity(version: number, level: unknown, mode: unknown): number;
};

export const qrcodeLevels = internal('qrcode/lib/core/error-correction-level.js') as Record<Level, unknown>;

export const qrcodeUtils = internal('qrcode/lib/core/utils.js') as { isKanjiModeEnabled(): boolean };

/** Its split into raw runs, one segment each, before it searches for the cheapest. */
export const qrcodeSegments = internal('qrcode/lib/core/segments.js') as { rawSplit(content: string): unknown[] };

export type PenaltyRule = (modules: QRCode.BitMatrix) => number;

/** Its mask penalty rules, N1 to N4. */
export const qrcodePenalties = internal('qrcode/lib/core/mask-pattern.js') as Record<
  'getPenaltyN1' | 'getPenaltyN2' | 'getPenaltyN3' | 'getPenaltyN4',
  PenaltyRule
>;
