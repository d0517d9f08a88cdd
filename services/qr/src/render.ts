/** Turns content and normalized options into PNG or SVG bytes. */
import { status } from '@grpc/grpc-js';
import { GrpcError, secondsSince } from '@meshmart/kit';
import { renderSeconds } from './metrics.ts';
import type { NormalizedOptions } from './options.ts';
import { drawPng } from './png.ts';
import { drawSvg } from './svg.ts';
import { encodeSymbol, type QrSymbol } from './symbol.ts';

const TOO_BIG = /too big|amount of data/i;

/**
 * Checks that the content fits a code at the chosen level and that the code fits the
 * chosen size (one pixel or more per module), then draws the symbol it encoded once.
 */
export function renderQr(content: string, o: NormalizedOptions): Buffer {
  const started = process.hrtime.bigint();
  let symbol: QrSymbol;
  try {
    symbol = encodeSymbol(content, o.errorCorrection);
  } catch (err) {
    if (TOO_BIG.test((err as Error).message)) {
      const bytes = Buffer.byteLength(content);
      throw new GrpcError(
        status.INVALID_ARGUMENT,
        `content (${bytes} bytes) does not fit in a QR code at error correction ${o.errorCorrection}; use a lower level or shorter content`,
      );
    }
    throw err;
  }
  const needed = symbol.size + 2 * o.margin;
  if (o.size < needed) {
    throw new GrpcError(
      status.INVALID_ARGUMENT,
      `size ${o.size} px is too small for this content: the code is ${symbol.size} modules wide plus margin ${o.margin} on each side, so at least ${needed} px are needed`,
    );
  }
  const drawing = { margin: o.margin, width: o.size, darkColor: o.darkColor, lightColor: o.lightColor };
  const image = o.format === 'png' ? drawPng(symbol, drawing) : Buffer.from(drawSvg(symbol, drawing));
  renderSeconds.observe({ format: o.format }, secondsSince(started));
  return image;
}
