import assert from 'node:assert/strict';
import { decodePng, decodeSvg, readPng } from '@meshmart/test-support/qr';
import QRCode from 'qrcode';
import { DEFAULTS, type Level, type NormalizedOptions } from '../src/options.ts';
import { drawPng } from '../src/png.ts';
import { type PenaltyRule, qrcodeLevels, qrcodeModes, qrcodePenalties, qrcodeVersions } from '../src/qrcode-internals.ts';
import { renderQr } from '../src/render.ts';
import { drawSvg } from '../src/svg.ts';
import { encodeSymbol } from '../src/symbol.ts';
import { seeded } from './seeded.ts';

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

/** `qrcode`'s own penalty rules, to show below that each decides some mask in the corpus. */
const RULES: PenaltyRule[] = [
  qrcodePenalties.getPenaltyN1,
  qrcodePenalties.getPenaltyN2,
  qrcodePenalties.getPenaltyN3,
  qrcodePenalties.getPenaltyN4,
];

/** One byte of UTF-8 each and none numeric or alphanumeric: the whole content is one byte segment. */
const BYTE_ONLY = 'abcdefghijklmnopqrstuvwxyz!"#&\'(),;<=>?@[]^_`{|}~';

/**
 * Characters that steer `qrcode` into each mode and into mixes of them: digits
 * (numeric), the 45 alphanumeric characters, URL text (byte runs broken by alphanumeric
 * and numeric ones), kanji and kana (byte mode, as `qrcode` runs without a Shift JIS
 * converter), any UTF-16 code unit below 0x800 (one- to three-byte UTF-8, control
 * characters included), and a mix with emoji (surrogate pairs).
 */
const ALPHABETS: string[] = [
  '0123456789',
  '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:',
  'abcdefghijklmnopqrstuvwxyz0123456789-._~:/?#&=%',
  '漢字東京都日本語アイウエオかきくけこ　ー',
  Array.from({ length: 0x800 }, (_, code) => String.fromCharCode(code)).join(''),
  'aZ09 $%:./-_ü✓東😀\r\n',
];

function randomText(characters: string[], length: number, next: () => number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += characters[Math.floor(next() * characters.length)];
  return text;
}

/**
 * Some 650 contents: fixed ones; for each level and version, a byte-mode content of a
 * length that needs that version at that level, so all 40 are met at every level; and
 * 480 of one to 400 characters from a random alphabet above (short ones as often as long
 * ones), whose mode mixes and random modules meet all eight masks.
 */
function corpus(): string[] {
  const contents = [
    'https://meshmart.local/s/Xy7_abc',
    '0123456789'.repeat(30),
    'HELLO WORLD 42',
    'Grüße ✓ 東京',
    'x'.repeat(900),
    'https://meshmart.local/bench/in-process/1234',
    'A1'.repeat(700),
    '\u0000\u0001\t\r\n',
  ];
  const next = seeded(18004);
  const byteOnly = Array.from(BYTE_ONLY);
  for (const level of LEVELS) {
    let fits = 0;
    for (let version = 1; version <= 40; version++) {
      const capacity = qrcodeVersions.getCapacity(version, qrcodeLevels[level], qrcodeModes.BYTE);
      contents.push(randomText(byteOnly, fits + 1 + Math.floor(next() * (capacity - fits)), next));
      fits = capacity;
    }
  }
  for (let i = 0; i < 480; i++) {
    const alphabet = Array.from(ALPHABETS[Math.floor(next() * ALPHABETS.length)] as string);
    contents.push(randomText(alphabet, Math.ceil(400 ** next()), next));
  }
  return contents;
}

interface Encoded {
  version: number;
  maskPattern: number | undefined;
  modules: Uint8Array;
}

/** `qrcode`'s symbol, or undefined when the content does not fit at `level`. */
function theirSymbol(content: string, level: Level, maskPattern?: number): QRCode.QRCode | undefined {
  try {
    return QRCode.create(content, { errorCorrectionLevel: level, maskPattern: maskPattern as QRCode.QRCodeMaskPattern });
  } catch (err) {
    assert.match((err as Error).message, /too big/);
    return undefined;
  }
}

function assertSameSymbol(ours: Encoded, theirs: QRCode.QRCode, label: string): void {
  assert.equal(ours.version, theirs.version, label);
  assert.equal(ours.maskPattern, theirs.maskPattern, label);
  assert.deepEqual(ours.modules, theirs.modules.data, label);
}

/** The first lowest of eight penalties, as `qrcode` breaks ties. */
function firstLowest(points: number[]): number {
  return points.indexOf(Math.min(...points));
}

describe('qr symbol and drawing', () => {
  it('encodes the same modules and mask as qrcode does, at every level and across versions', () => {
    const contents = corpus();
    const versions = new Map<Level, Set<number>>(LEVELS.map((level) => [level, new Set<number>()]));
    const masks = new Map<Level, Set<number>>(LEVELS.map((level) => [level, new Set<number>()]));
    for (const content of contents) {
      for (const level of LEVELS) {
        const label = `${level} ${content.length} ${JSON.stringify(content.slice(0, 20))}`;
        const theirs = theirSymbol(content, level);
        if (!theirs) {
          assert.throws(() => encodeSymbol(content, level), /too big/, label);
          continue;
        }
        assertSameSymbol(encodeSymbol(content, level), theirs, label);
        versions.get(level)?.add(theirs.version);
        masks.get(level)?.add(theirs.maskPattern as number);
      }
    }
    assert.ok(contents.length >= 600, `${contents.length} contents`);
    for (const level of LEVELS) {
      assert.equal(versions.get(level)?.size, 40, `versions met at ${level}`);
      assert.equal(masks.get(level)?.size, 8, `masks met at ${level}`);
    }
  });

  it('would notice a wrong mask: each penalty rule alone decides the mask of some content', () => {
    const contents = corpus().filter((content) => content.length < 200);
    const decidedBy = RULES.map(() => 0);
    for (const content of contents) {
      const theirs = theirSymbol(content, 'M');
      if (!theirs || theirs.version > 10) continue;
      const chosen = theirs.maskPattern as number;
      const masked = Array.from({ length: 8 }, (_, pattern) => theirSymbol(content, 'M', pattern) as QRCode.QRCode);
      const points = masked.map((symbol) => RULES.map((rule) => rule(symbol.modules)));
      const total = (pattern: number, without = -1) =>
        (points[pattern] as number[]).reduce((sum, rulePoints, rule) => (rule === without ? sum : sum + rulePoints), 0);
      assert.equal(firstLowest(masked.map((_, pattern) => total(pattern))), chosen, "the rules are qrcode's");
      for (const [rule] of RULES.entries()) {
        if (firstLowest(masked.map((_, pattern) => total(pattern, rule))) !== chosen) {
          decidedBy[rule] = (decidedBy[rule] as number) + 1;
        }
      }
      // The comparison itself tells a symbol masked otherwise apart.
      const other = masked[(chosen + 1) % 8] as QRCode.QRCode;
      assert.throws(() => assertSameSymbol(encodeSymbol(content, 'M'), other, content));
    }
    for (const [rule, count] of decidedBy.entries()) assert.ok(count > 0, `N${rule + 1} decides no mask`);
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
