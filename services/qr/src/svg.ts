/**
 * A symbol drawn as SVG: the background as one filled square (left out when the light
 * colour is fully transparent) and the dark modules as one stroked path of horizontal
 * runs, one unit high. The same markup, byte for byte, as `qrcode`'s SVG renderer.
 */
import type { QrSymbol } from './symbol.ts';

export interface SvgOptions {
  margin: number;
  /** width and height attributes, in pixels. */
  width: number;
  darkColor: string;
  lightColor: string;
}

/** `attribute="#rrggbb"`, with `attribute-opacity` when the colour has an alpha below ff. */
function paint(attribute: string, color: string): string {
  const alpha = color.length === 9 ? Number.parseInt(color.slice(7), 16) / 255 : 1;
  const base = `${attribute}="${color.slice(0, 7)}"`;
  return alpha < 1 ? `${base} ${attribute}-opacity="${alpha.toFixed(2).slice(1)}"` : base;
}

/** Dark runs: each starts with an absolute M on a new row, else a relative m from the previous run's end. */
function runs(modules: Uint8Array, size: number, margin: number): string {
  let path = '';
  for (let row = 0; row < size; row++) {
    let gap = 0;
    let first = true;
    let col = 0;
    while (col < size) {
      if (modules[row * size + col] !== 1) {
        gap++;
        col++;
        continue;
      }
      const start = col;
      while (col < size && modules[row * size + col] === 1) col++;
      path += first ? `M${start + margin} ${0.5 + row + margin}` : `m${gap} 0`;
      path += `h${col - start}`;
      first = false;
      gap = 0;
    }
  }
  return path;
}

export function drawSvg(symbol: QrSymbol, o: SvgOptions): string {
  const side = symbol.size + o.margin * 2;
  const transparent = o.lightColor.length === 9 && o.lightColor.endsWith('00');
  const background = transparent ? '' : `<path ${paint('fill', o.lightColor)} d="M0 0h${side}v${side}H0z"/>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${o.width}" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges">` +
    `${background}<path ${paint('stroke', o.darkColor)} d="${runs(symbol.modules, symbol.size, o.margin)}"/></svg>\n`
  );
}
