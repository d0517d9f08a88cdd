import assert from 'node:assert/strict';
import QRCode from 'qrcode';
import type { Level } from '../src/options.ts';
import { qrcodeLevels, qrcodeSegments, qrcodeVersions } from '../src/qrcode-internals.ts';
import { knownSegments } from '../src/segments.ts';
import { seeded } from './seeded.ts';

const LEVELS: Level[] = ['L', 'M', 'Q', 'H'];

/** Every string of up to `length` characters from `alphabet`. */
function everyString(alphabet: string[], length: number): string[] {
  const strings: string[] = [];
  let last = [''];
  for (let l = 1; l <= length; l++) {
    last = last.flatMap((prefix) => alphabet.map((character) => prefix + character));
    strings.push(...last);
  }
  return strings;
}

/**
 * Runs of every class and of lengths where the cheapest mode changes, long enough to
 * need versions from each band of character count widths (1–9, 10–26, 27–40).
 */
function randomStrings(count: number): string[] {
  const next = seeded(1804);
  const pieces = ['a', 'Z', '7', '.', ' ', 'ü', '東', '😀', '/', '-', 'q'];
  const strings: string[] = [];
  for (let i = 0; i < count; i++) {
    const target = Math.ceil(1500 ** next());
    let text = '';
    while (text.length < target) {
      const piece = pieces[Math.floor(next() * pieces.length)] as string;
      text += piece.repeat(1 + Math.floor(next() ** 2 * 12));
    }
    strings.push(text);
  }
  return strings;
}

/** What decides the symbol: the segments' modes and data, the version and every module. */
function symbolOf(code: QRCode.QRCode): string {
  const segments = code.segments.map((segment) => [segment.mode.id, Buffer.from(segment.data).toString('hex')]);
  return `${JSON.stringify(segments)} ${code.version} ${Buffer.from(code.modules.data).toString('hex')}`;
}

/** The version qrcode estimates from the raw runs, which sets the count widths of its search. */
function rawEstimate(content: string, level: Level): number | undefined {
  return qrcodeVersions.getBestVersionForData(qrcodeSegments.rawSplit(content), qrcodeLevels[level]);
}

function qrcodeOwn(content: string, level: Level): string {
  return symbolOf(QRCode.create(content, { errorCorrectionLevel: level, maskPattern: 0 }));
}

describe('qr segments known without qrcode search', () => {
  it('are the segments qrcode chooses itself, whenever they are given', () => {
    const strings = [...everyString(['a', '0', 'A', '.', 'ü'], 4), ...randomStrings(150)];
    let given = 0;
    let left = 0;
    for (const content of strings) {
      for (const level of LEVELS) {
        const segments = knownSegments(content, level);
        if (!segments) {
          left++;
          continue;
        }
        given++;
        let ours: string;
        try {
          ours = symbolOf(QRCode.create(segments, { errorCorrectionLevel: level, maskPattern: 0 }));
        } catch (err) {
          assert.throws(() => qrcodeOwn(content, level), { message: (err as Error).message });
          continue;
        }
        assert.equal(ours, qrcodeOwn(content, level), `${level} ${JSON.stringify(content.slice(0, 40))}`);
      }
    }
    assert.ok(given > 0.9 * (given + left), `given for ${given} of ${given + left}`);
    assert.ok(left > 0, 'some ties are left to qrcode');
  });

  it('agrees with qrcode where the estimated version crosses a band of count widths, two-byte characters included', () => {
    // Two-byte UTF-8 characters (U+0100, U+0436, U+07FF) beside digit and capital runs: a
    // byte run's length in bytes moves the estimate, and the estimate picks the widths.
    const pattern = 'Āж12345ABCDE߿x6789';
    const estimates = new Set<number | undefined>();
    let given = 0;
    for (const level of LEVELS) {
      for (let length = 1; length <= 1600; length++) {
        const content = pattern.repeat(Math.ceil(length / pattern.length)).slice(0, length);
        const estimate = rawEstimate(content, level);
        if (![9, 10, 26, 27].includes(estimate as number)) continue;
        estimates.add(estimate);
        const segments = knownSegments(content, level);
        if (!segments) continue;
        given++;
        const ours = symbolOf(QRCode.create(segments, { errorCorrectionLevel: level, maskPattern: 0 }));
        assert.equal(ours, qrcodeOwn(content, level), `${level}, ${length} characters, estimated version ${estimate}`);
      }
    }
    assert.deepEqual(
      [...estimates].sort((a, b) => (a as number) - (b as number)),
      [9, 10, 26, 27],
      'every side of both band edges was reached',
    );
    assert.ok(given > 200, `segments given for ${given} contents near the edges`);

    // Raw runs that fit no version (each run pays its own header) while fewer segments do:
    // qrcode then takes the widths of version 40, under which seven digits between letters
    // are not worth a numeric segment of their own (under version 1's narrower counts they
    // would be); only the last seven, with no byte segment to reopen after them, are.
    const alternating = 'a1234567'.repeat(350);
    assert.equal(rawEstimate(alternating, 'L'), undefined);
    const segments = knownSegments(alternating, 'L');
    assert.deepEqual(
      segments?.map((segment) => segment.mode),
      ['byte', 'numeric'],
    );
    assert.equal(symbolOf(QRCode.create(segments, { errorCorrectionLevel: 'L', maskPattern: 0 })), qrcodeOwn(alternating, 'L'));
  });

  it('leaves ties, an empty string and unpaired surrogates to qrcode', () => {
    // '100' continuing the byte segment before it, or as a numeric segment: 24 bits either way.
    assert.equal(knownSegments('https://meshmart.local/bench/in-process/100', 'M'), undefined);
    assert.equal(knownSegments('', 'M'), undefined);
    assert.equal(knownSegments('a\ud800b', 'M'), undefined);
    assert.equal(knownSegments('a\udc00', 'M'), undefined);
    assert.ok(knownSegments('a😀b', 'M'));
  });

  it('matter: other segments of the same content give another symbol', () => {
    const content = 'https://meshmart.local/bench/in-process/1234';
    const segments = knownSegments(content, 'M');
    assert.deepEqual(
      segments?.map((segment) => segment.mode),
      ['byte', 'numeric'],
    );
    const allBytes = QRCode.create([{ data: Buffer.from(content), mode: 'byte' }], { errorCorrectionLevel: 'M', maskPattern: 0 });
    assert.notEqual(symbolOf(allBytes), qrcodeOwn(content, 'M'));
  });
});
