import assert from 'node:assert/strict';
import { decodePng, decodeSvg, readPng } from '@meshmart/test-support/qr';
import QRCode from 'qrcode';
import { DEFAULTS, type Level, type NormalizedOptions } from '../src/options.ts';
import { drawPng } from '../src/png.ts';
import { renderQr } from '../src/render.ts';
import { drawSvg } from '../src/svg.ts';
import { encodeSymbol } from '../src/symbol.ts';

/** What `qrcode` itself draws for these options: the reference the fast writers must match. */
function reference(o: NormalizedOptions): QRCode.QRCodeRenderersOptions {
  return {
    errorCorrectionLevel: o.errorCorrection,
    margin: o.margin,
    width: o.size,
    color: { dark: o.darkColor, light: o.lightColor },
  };
}

const LEVELS: Level[] = ['L', 'M', 'Q', 'H'];

describe('qr symbol and drawing', () => {
  it('encodes the same modules and mask as qrcode does, at every level and across versions', () => {
    const contents = [
      'https://meshmart.local/s/Xy7_abc',
      '0123456789'.repeat(30),
      'HELLO WORLD 42',
      'Grüße ✓ 東京',
      'x'.repeat(900),
    ];
    for (const content of contents) {
      for (const level of LEVELS) {
        const ours = encodeSymbol(content, level);
        const theirs = QRCode.create(content, { errorCorrectionLevel: level });
        assert.equal(ours.version, theirs.version, `${level} ${content.slice(0, 20)}`);
        assert.equal(ours.maskPattern, theirs.maskPattern, `${level} ${content.slice(0, 20)}`);
        assert.deepEqual(ours.modules, theirs.modules.data, `${level} ${content.slice(0, 20)}`);
      }
    }
  });

  it('draws a PNG that decodes to the very pixels qrcode draws, for sizes, margins and colours', async () => {
    const cases: NormalizedOptions[] = [
      { ...DEFAULTS },
      { ...DEFAULTS, size: 300, margin: 0 },
      { ...DEFAULTS, size: 1000, margin: 7, errorCorrection: 'H' },
      { ...DEFAULTS, size: 97, margin: 1, darkColor: '#1e3a8a', lightColor: '#fef3c7' },
      { ...DEFAULTS, size: 255, darkColor: '#00000080', lightColor: '#ffffff00' },
    ];
    for (const o of cases) {
      const content = `https://meshmart.local/s/${o.size}-${o.margin}`;
      const ours = readPng(renderQr(content, o));
      const theirs = readPng(await QRCode.toBuffer(content, { ...reference(o), type: 'png' }));
      assert.deepEqual([ours.width, ours.height], [theirs.width, theirs.height], JSON.stringify(o));
      assert.ok(ours.data.equals(theirs.data), `pixels differ for ${JSON.stringify(o)}`);
    }
    assert.equal(
      decodePng(renderQr('https://meshmart.local/s/abc', { ...DEFAULTS, size: 97, margin: 1 })),
      'https://meshmart.local/s/abc',
    );
  });

  it('is a palette PNG of one bit per pixel, far smaller than the RGBA one', async () => {
    const content = 'https://meshmart.local/s/Xy7_abc';
    const png = renderQr(content, DEFAULTS);
    const header = png.subarray(16, 29);
    assert.deepEqual([header[8], header[9]], [1, 3], 'bit depth 1, colour type 3 (palette)');
    const rgba = await QRCode.toBuffer(content, { ...reference(DEFAULTS), type: 'png' });
    assert.ok(png.length < rgba.length, `${png.length} bytes, qrcode's RGBA PNG ${rgba.length}`);
  });

  it('writes the same SVG markup as qrcode, transparent background and translucent colours included', async () => {
    const cases: NormalizedOptions[] = [
      { ...DEFAULTS, format: 'svg' },
      { ...DEFAULTS, format: 'svg', size: 512, margin: 0, errorCorrection: 'H' },
      { ...DEFAULTS, format: 'svg', darkColor: '#1e3a8acc', lightColor: '#ffffff00' },
      { ...DEFAULTS, format: 'svg', darkColor: '#000000', lightColor: '#fef3c780' },
    ];
    for (const o of cases) {
      const content = `Grüße ✓ ${o.margin} ${o.darkColor}`;
      const theirs = await QRCode.toString(content, { ...reference(o), type: 'svg' });
      assert.equal(renderQr(content, o).toString(), theirs);
      assert.equal(decodeSvg(theirs), content);
    }
  });

  it('detects a damaged PNG and a changed module: the comparisons above are not vacuous', () => {
    const content = 'https://meshmart.local/s/Xy7_abc';
    const png = renderQr(content, DEFAULTS);
    const damaged = Buffer.from(png);
    const idat = damaged.indexOf('IDAT', 0, 'latin1');
    const crcAt = idat + 4 + damaged.readUInt32BE(idat - 4);
    damaged[crcAt] = (damaged[crcAt] as number) ^ 0xff;
    assert.throws(() => readPng(damaged), 'a broken checksum is refused');

    const symbol = encodeSymbol(content, 'M');
    const flipped = { ...symbol, modules: Uint8Array.from(symbol.modules) };
    const at = 10 * symbol.size + 12;
    flipped.modules[at] = (flipped.modules[at] as number) ^ 1;
    const drawing = { margin: 4, width: 256, darkColor: '#000000', lightColor: '#ffffff' };
    assert.ok(!readPng(drawPng(flipped, drawing)).data.equals(readPng(drawPng(symbol, drawing)).data));
    assert.notEqual(drawSvg(flipped, drawing), drawSvg(symbol, drawing));
  });
});
