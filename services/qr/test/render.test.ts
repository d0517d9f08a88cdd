import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GrpcError } from '@meshmart/kit';
import { decodePng, decodeSvg, readPng, svgModules } from '@meshmart/test-support/qr';
import { DEFAULTS } from '../src/options.ts';
import { renderQr } from '../src/render.ts';

const link = 'https://meshmart.local/s/Xy7_abc';

describe('qr rendering', () => {
  it('draws a PNG of the requested size that reads back as the content', () => {
    const png = renderQr(link, { ...DEFAULTS, size: 300 });
    const { width, height } = readPng(png);
    assert.deepEqual([width, height], [300, 300]);
    assert.equal(decodePng(png), link);
  });

  it('draws an SVG of the requested size that reads back as the content, non-ASCII text included', () => {
    const text = 'Grüße aus Köln — ✓ 東京';
    const svg = renderQr(text, { ...DEFAULTS, format: 'svg', size: 512, errorCorrection: 'H' }).toString();
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="512" height="512" viewBox="0 0 \d+ \d+"/);
    assert.equal(decodeSvg(svg), text);
  });

  it('uses the colours and margin asked for', () => {
    const svg = renderQr(link, {
      ...DEFAULTS,
      format: 'svg',
      margin: 0,
      darkColor: '#1e3a8a',
      lightColor: '#ffffff00',
    }).toString();
    assert.match(svg, /stroke="#1e3a8a"/);
    assert.doesNotMatch(svg, /fill=/, 'a transparent background is left out');
    const grid = svgModules(svg);
    assert.equal(grid[0]?.[0], true, 'without a margin the finder pattern starts at the corner');
    assert.equal(decodeSvg(svg), link);
  });

  it('takes the longest content at L but refuses it at H with a clear message', () => {
    const long = 'x'.repeat(2048);
    assert.equal(decodeSvg(renderQr(long, { ...DEFAULTS, format: 'svg', errorCorrection: 'L' }).toString()), long);
    assert.throws(
      () => renderQr(long, { ...DEFAULTS, errorCorrection: 'H' }),
      (err: unknown) =>
        err instanceof GrpcError &&
        err.code === status.INVALID_ARGUMENT &&
        /content .* does not fit .* error correction H/.test(err.message),
    );
  });

  it('refuses a size too small to give each module a pixel', () => {
    assert.throws(
      () => renderQr('y'.repeat(1000), { ...DEFAULTS, size: 64 }),
      (err: unknown) =>
        err instanceof GrpcError && err.code === status.INVALID_ARGUMENT && /^size 64 px is too small/.test(err.message),
    );
  });
});
