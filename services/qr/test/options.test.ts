import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GrpcError } from '@meshmart/kit';
import { ErrorCorrection, ImageFormat, type QROptions } from '@meshmart/proto/qr/v1/qr';
import { cacheKey, checkContent, checkOwner, contrastRatio, DEFAULTS, mergeOptions, normalizeOptions } from '../src/options.ts';

const none: QROptions = { format: ImageFormat.IMAGE_FORMAT_UNSPECIFIED, errorCorrection: 0 };

/** Asserts an INVALID_ARGUMENT whose message names `field`. */
function refuses(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GrpcError, `expected a GrpcError, got ${String(err)}`);
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.ok(err.message.includes(field), `"${err.message}" should name ${field}`);
    return true;
  });
}

describe('qr options', () => {
  it('fills in the documented defaults: PNG, 256 px, M, margin 4, black on white', () => {
    assert.deepEqual(normalizeOptions(undefined), DEFAULTS);
    assert.deepEqual(normalizeOptions(none), {
      format: 'png',
      size: 256,
      errorCorrection: 'M',
      margin: 4,
      darkColor: '#000000',
      lightColor: '#ffffff',
    });
  });

  it('keeps what the caller chose and writes colours one way', () => {
    const o = normalizeOptions({
      format: ImageFormat.IMAGE_FORMAT_SVG,
      size: 1024,
      errorCorrection: ErrorCorrection.ERROR_CORRECTION_H,
      margin: 0,
      darkColor: '#1A2B3CFF',
      lightColor: '#FFEEDD80',
    });
    assert.deepEqual(o, {
      format: 'svg',
      size: 1024,
      errorCorrection: 'H',
      margin: 0,
      darkColor: '#1a2b3c',
      lightColor: '#ffeedd80',
    });
  });

  it('accepts the limits themselves and refuses one past them, naming the field', () => {
    for (const size of [64, 2048]) assert.equal(normalizeOptions({ ...none, size }).size, size);
    for (const margin of [0, 16]) assert.equal(normalizeOptions({ ...none, margin }).margin, margin);
    refuses(() => normalizeOptions({ ...none, size: 63 }), 'options.size');
    refuses(() => normalizeOptions({ ...none, size: 2049 }), 'options.size');
    refuses(() => normalizeOptions({ ...none, margin: -1 }), 'options.margin');
    refuses(() => normalizeOptions({ ...none, margin: 17 }), 'options.margin');
  });

  it('refuses unknown enum values and malformed colours', () => {
    refuses(() => normalizeOptions({ ...none, format: 7 as ImageFormat }), 'options.format');
    refuses(() => normalizeOptions({ ...none, errorCorrection: 9 as ErrorCorrection }), 'options.error_correction');
    for (const bad of ['black', '#fff', '#12345', '#1234567', 'ff0000', '#gg0000', '#00000000ff']) {
      refuses(() => normalizeOptions({ ...none, darkColor: bad }), 'options.dark_color');
      refuses(() => normalizeOptions({ ...none, lightColor: bad }), 'options.light_color');
    }
  });

  it('refuses colours too alike to scan, translucent ones included', () => {
    refuses(() => normalizeOptions({ ...none, darkColor: '#777777', lightColor: '#888888' }), 'dark_color');
    refuses(() => normalizeOptions({ ...none, darkColor: '#00000000' }), 'dark_color');
    refuses(() => normalizeOptions({ ...none, darkColor: '#ffffff' }), 'dark_color');
    assert.equal(normalizeOptions({ ...none, darkColor: '#1e3a8a', lightColor: '#ffffff00' }).lightColor, '#ffffff00');
    assert.ok(contrastRatio('#000000', '#ffffff') > 20.9);
    assert.equal(contrastRatio('#123456', '#123456'), 1);
  });

  it('names the batch item in messages', () => {
    refuses(() => normalizeOptions({ ...none, size: 9000 }, 'items[3].options'), 'items[3].options.size');
    refuses(() => checkContent('', 'items[0].content'), 'items[0].content');
  });

  it('limits content to 1-2048 characters, counted as characters rather than UTF-16 units', () => {
    assert.equal(checkContent('x'.repeat(2048)).length, 2048);
    assert.equal(checkContent('😀'.repeat(2048)).length, 4096);
    refuses(() => checkContent(''), 'content');
    refuses(() => checkContent('x'.repeat(2049)), 'content');
    refuses(() => checkOwner(''), 'owner_id');
    refuses(() => checkOwner('u'.repeat(129)), 'owner_id');
    refuses(() => checkOwner('user\n1'), 'owner_id');
    refuses(() => checkContent('a\u0000b'), 'content');
  });

  it('lets a batch item override the batch options field by field', () => {
    const batch: QROptions = {
      format: ImageFormat.IMAGE_FORMAT_SVG,
      size: 512,
      errorCorrection: ErrorCorrection.ERROR_CORRECTION_Q,
      margin: 2,
      darkColor: '#112233',
    };
    const merged = normalizeOptions(mergeOptions(batch, { ...none, size: 128, lightColor: '#eeeeee' }));
    assert.deepEqual(merged, {
      format: 'svg',
      size: 128,
      errorCorrection: 'Q',
      margin: 2,
      darkColor: '#112233',
      lightColor: '#eeeeee',
    });
    assert.deepEqual(normalizeOptions(mergeOptions(batch, undefined)), normalizeOptions(batch));
    assert.deepEqual(normalizeOptions(mergeOptions(undefined, { ...none, margin: 1 })), { ...DEFAULTS, margin: 1 });
  });
});

describe('qr cache key', () => {
  const url = 'https://meshmart.local/s/abc123';

  it('is the same for the same image however the options are spelled', () => {
    const bare = cacheKey(url, normalizeOptions(undefined));
    const spelledOut = cacheKey(
      url,
      normalizeOptions({
        lightColor: '#FFFFFF',
        darkColor: '#000000ff',
        margin: 4,
        errorCorrection: ErrorCorrection.ERROR_CORRECTION_M,
        size: 256,
        format: ImageFormat.IMAGE_FORMAT_PNG,
      }),
    );
    assert.equal(spelledOut, bare);
    assert.match(bare, /^[0-9a-f]{64}$/);
  });

  it('differs when the content or any option differs', () => {
    const base = normalizeOptions(undefined);
    const keys = new Set([
      cacheKey(url, base),
      cacheKey(`${url}x`, base),
      cacheKey(url, { ...base, format: 'svg' }),
      cacheKey(url, { ...base, size: 257 }),
      cacheKey(url, { ...base, errorCorrection: 'H' }),
      cacheKey(url, { ...base, margin: 0 }),
      cacheKey(url, { ...base, darkColor: '#000001' }),
      cacheKey(url, { ...base, lightColor: '#fffffe' }),
    ]);
    assert.equal(keys.size, 8);
  });

  it('cannot be forged by moving text between fields', () => {
    const base = normalizeOptions(undefined);
    assert.notEqual(cacheKey('a","png', base), cacheKey('a', base));
  });
});
