/**
 * JSON request bodies with a hard size limit. The limit is enforced while reading, so an
 * oversize body is refused with 413 without being buffered whole.
 */
import type { Context } from 'koa';
import { problems } from './errors.ts';

const JSON_TYPES = ['application/json', 'application/cloudevents+json', 'application/problem+json'];

export function parseSize(size: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(size);
  if (!m) throw new Error(`bad size ${size}`);
  const unit = m[2]?.toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

function hasBody(ctx: Context): boolean {
  const length = ctx.get('content-length');
  return ctx.get('transfer-encoding') !== '' || (length !== '' && length !== '0');
}

export async function readJsonBody(ctx: Context, limit: string): Promise<unknown> {
  if (!hasBody(ctx)) return undefined;
  const max = parseSize(limit);
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    ctx.set('connection', 'close');
    throw problems.payloadTooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      ctx.set('connection', 'close');
      throw problems.payloadTooLarge(limit);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // daprd forwards a body-less POST as an empty chunked body with no content type, so
  // emptiness is judged on what arrived, before the media type.
  if (text.trim() === '') return undefined;
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (!JSON_TYPES.includes(type) && !type.endsWith('+json')) {
    throw problems.unsupportedMediaType(`expected application/json, got ${type || 'no content type'}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw problems.badRequest(`malformed JSON: ${(err as Error).message}`);
  }
}
