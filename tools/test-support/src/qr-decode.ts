/**
 * QR readers for tests: read a PNG's pixels; decode a PNG, or an SVG as the `qrcode` package draws it, back
 * to the text it encodes. Throws when no code can be read.
 */
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';

// jsqr is CommonJS; its function is both module.exports and its `default`.
const jsQR = jsQRModule.default;

/** A PNG decoded to RGBA pixels; throws on a damaged file (pngjs checks every chunk's CRC). */
export function readPng(image: Buffer | Uint8Array): { width: number; height: number; data: Buffer } {
  const { width, height, data } = PNG.sync.read(Buffer.from(image));
  return { width, height, data };
}

function read(rgba: Uint8ClampedArray, width: number, height: number, what: string): string {
  const found = jsQR(rgba, width, height);
  if (!found) throw new Error(`no QR code could be read from the ${what}`);
  return found.data;
}

export function decodePng(image: Buffer | Uint8Array): string {
  const png = readPng(image);
  return read(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height, 'PNG');
}

/** Dark modules of the SVG as a grid of booleans, one cell per module (viewBox units). */
export function svgModules(svg: string): boolean[][] {
  const viewBox = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  if (!viewBox) throw new Error('the SVG has no "0 0 w h" viewBox');
  const width = Number(viewBox[1]);
  const height = Number(viewBox[2]);
  // The modules are one stroked path of unit-width horizontal runs; the background, if
  // any, is a filled path.
  const path = /<path [^>]*stroke="[^"]*"[^>]* d="([^"]*)"/.exec(svg);
  if (!path?.[1]) throw new Error('the SVG has no stroked path');
  const grid = Array.from({ length: height }, () => new Array<boolean>(width).fill(false));
  let x = 0;
  let y = 0;
  for (const [, cmd, args] of path[1].matchAll(/([MmHh])([^MmHh]*)/g)) {
    const n = (args ?? '')
      .trim()
      .split(/[\s,]+/)
      .map(Number);
    if (n.some(Number.isNaN)) throw new Error(`bad path arguments ${JSON.stringify(args)}`);
    if (cmd === 'M' || cmd === 'm') {
      x = (cmd === 'M' ? 0 : x) + (n[0] ?? 0);
      y = (cmd === 'M' ? 0 : y) + (n[1] ?? 0);
      continue;
    }
    const to = (cmd === 'H' ? 0 : x) + (n[0] ?? 0);
    const row = grid[Math.floor(y)];
    if (!row) throw new Error(`path leaves the viewBox at y=${y}`);
    for (let col = Math.min(x, to); col < Math.max(x, to); col++) row[col] = true;
    x = to;
  }
  return grid;
}

export function decodeSvg(svg: string, pixelsPerModule = 4): string {
  const grid = svgModules(svg);
  const height = grid.length * pixelsPerModule;
  const width = (grid[0]?.length ?? 0) * pixelsPerModule;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let py = 0; py < height; py++) {
    const row = grid[Math.floor(py / pixelsPerModule)] ?? [];
    for (let px = 0; px < width; px++) {
      const v = row[Math.floor(px / pixelsPerModule)] ? 0 : 255;
      rgba.set([v, v, v, 255], (py * width + px) * 4);
    }
  }
  return read(rgba, width, height, 'SVG');
}
