/**
 * What a caller may ask for, checked and brought to one canonical form. Two requests
 * that render the same image normalize to the same options and so share a cache key,
 * whatever defaults they spelled out or how they wrote the colours.
 */
import { createHash } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { GrpcError } from '@meshmart/kit';
import { ErrorCorrection, ImageFormat, type QROptions } from '@meshmart/proto/qr/v1/qr';

export const LIMITS = {
  contentMaxChars: 2048,
  sizeMin: 64,
  sizeMax: 2048,
  marginMin: 0,
  marginMax: 16,
  ownerMaxChars: 128,
  batchMaxItems: 500,
  /** WCAG contrast ratio below which scanners miss codes; black on white is 21. */
  minContrast: 3,
} as const;

export type Format = 'png' | 'svg';
export type Level = 'L' | 'M' | 'Q' | 'H';

export interface NormalizedOptions {
  format: Format;
  size: number;
  errorCorrection: Level;
  margin: number;
  /** Lower-case `#rrggbb`, or `#rrggbbaa` when not fully opaque. */
  darkColor: string;
  lightColor: string;
}

export const DEFAULTS: NormalizedOptions = {
  format: 'png',
  size: 256,
  errorCorrection: 'M',
  margin: 4,
  darkColor: '#000000',
  lightColor: '#ffffff',
};

const FORMATS: Partial<Record<ImageFormat, Format>> = {
  [ImageFormat.IMAGE_FORMAT_PNG]: 'png',
  [ImageFormat.IMAGE_FORMAT_SVG]: 'svg',
};
const LEVELS: Partial<Record<ErrorCorrection, Level>> = {
  [ErrorCorrection.ERROR_CORRECTION_L]: 'L',
  [ErrorCorrection.ERROR_CORRECTION_M]: 'M',
  [ErrorCorrection.ERROR_CORRECTION_Q]: 'Q',
  [ErrorCorrection.ERROR_CORRECTION_H]: 'H',
};

export const formatToProto = (format: Format): ImageFormat =>
  format === 'png' ? ImageFormat.IMAGE_FORMAT_PNG : ImageFormat.IMAGE_FORMAT_SVG;
export const levelToProto = (level: Level): ErrorCorrection =>
  ({
    L: ErrorCorrection.ERROR_CORRECTION_L,
    M: ErrorCorrection.ERROR_CORRECTION_M,
    Q: ErrorCorrection.ERROR_CORRECTION_Q,
    H: ErrorCorrection.ERROR_CORRECTION_H,
  })[level];
export const contentType = (format: Format): string => (format === 'png' ? 'image/png' : 'image/svg+xml');

const invalid = (message: string) => new GrpcError(status.INVALID_ARGUMENT, message);

const COLOR = /^#(?:[0-9a-f]{6}|[0-9a-f]{8})$/i;

function normalizeColor(field: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!COLOR.test(value)) throw invalid(`${field} must be "#rrggbb" or "#rrggbbaa", got ${JSON.stringify(value.slice(0, 20))}`);
  const lower = value.toLowerCase();
  return lower.length === 9 && lower.endsWith('ff') ? lower.slice(0, 7) : lower;
}

function intInRange(field: string, value: number | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalid(`${field} must be from ${min} to ${max}, got ${value}`);
  return value;
}

/** Relative luminance (WCAG 2) of a colour laid over white, as a printed or on-screen code is. */
function luminanceOverWhite(color: string): number {
  const channel = (i: number) => Number.parseInt(color.slice(i, i + 2), 16) / 255;
  const alpha = color.length === 9 ? channel(7) : 1;
  const linear = (c: number) => {
    const v = c * alpha + (1 - alpha);
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(channel(1)) + 0.7152 * linear(channel(3)) + 0.0722 * linear(channel(5));
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminanceOverWhite(a), luminanceOverWhite(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Checks every option and fills in the defaults; `prefix` names the field in messages.
 * The contrast check is for complete options: a batch's own options may leave a colour
 * for each item to choose.
 */
export function normalizeOptions(
  options: QROptions | undefined,
  prefix = 'options',
  { checkContrast = true } = {},
): NormalizedOptions {
  const o = options ?? ({ format: 0, errorCorrection: 0 } as QROptions);
  let format = DEFAULTS.format;
  if (o.format !== ImageFormat.IMAGE_FORMAT_UNSPECIFIED) {
    const f = FORMATS[o.format];
    if (!f) throw invalid(`${prefix}.format must be PNG or SVG`);
    format = f;
  }
  let errorCorrection = DEFAULTS.errorCorrection;
  if (o.errorCorrection !== ErrorCorrection.ERROR_CORRECTION_UNSPECIFIED) {
    const level = LEVELS[o.errorCorrection];
    if (!level) throw invalid(`${prefix}.error_correction must be L, M, Q or H`);
    errorCorrection = level;
  }
  const normalized: NormalizedOptions = {
    format,
    size: intInRange(`${prefix}.size`, o.size, LIMITS.sizeMin, LIMITS.sizeMax, DEFAULTS.size),
    errorCorrection,
    margin: intInRange(`${prefix}.margin`, o.margin, LIMITS.marginMin, LIMITS.marginMax, DEFAULTS.margin),
    darkColor: normalizeColor(`${prefix}.dark_color`, o.darkColor, DEFAULTS.darkColor),
    lightColor: normalizeColor(`${prefix}.light_color`, o.lightColor, DEFAULTS.lightColor),
  };
  const ratio = contrastRatio(normalized.darkColor, normalized.lightColor);
  if (checkContrast && ratio < LIMITS.minContrast) {
    throw invalid(
      `${prefix}.dark_color and ${prefix}.light_color are too alike to scan: contrast ${ratio.toFixed(2)}:1, at least ${LIMITS.minContrast}:1 is needed`,
    );
  }
  return normalized;
}

/** A batch item's options over the batch's: each field the item sets wins. */
export function mergeOptions(batch: QROptions | undefined, item: QROptions | undefined): QROptions {
  const b = batch ?? ({ format: 0, errorCorrection: 0 } as QROptions);
  if (!item) return b;
  return {
    format: item.format !== ImageFormat.IMAGE_FORMAT_UNSPECIFIED ? item.format : b.format,
    size: item.size ?? b.size,
    errorCorrection:
      item.errorCorrection !== ErrorCorrection.ERROR_CORRECTION_UNSPECIFIED ? item.errorCorrection : b.errorCorrection,
    margin: item.margin ?? b.margin,
    darkColor: item.darkColor ?? b.darkColor,
    lightColor: item.lightColor ?? b.lightColor,
  };
}

export function checkContent(content: string, field = 'content'): string {
  if (content.length === 0) throw invalid(`${field} must not be empty`);
  // PostgreSQL text cannot hold NUL, and no scanned text needs it.
  if (content.includes('\u0000')) throw invalid(`${field} must not contain NUL characters`);
  // Characters as a person counts them (code points), not UTF-16 units.
  const chars = [...content].length;
  if (chars > LIMITS.contentMaxChars) {
    throw invalid(`${field} is ${chars} characters; at most ${LIMITS.contentMaxChars} are allowed`);
  }
  return content;
}

export function checkOwner(ownerId: string): string {
  if (ownerId.length === 0) throw invalid('owner_id must not be empty');
  if (ownerId.length > LIMITS.ownerMaxChars) throw invalid(`owner_id is longer than ${LIMITS.ownerMaxChars} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u001f\u007f]/.test(ownerId)) throw invalid('owner_id must not contain control characters');
  return ownerId;
}

/**
 * The cache key: identical content with identical normalized options. The owner is not
 * part of it, so one code serves everyone who asks for the same image.
 */
export function cacheKey(content: string, o: NormalizedOptions): string {
  const canonical = JSON.stringify([content, o.format, o.size, o.errorCorrection, o.margin, o.darkColor, o.lightColor]);
  return createHash('sha256').update(canonical).digest('hex');
}
