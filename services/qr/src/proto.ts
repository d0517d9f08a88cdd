/** Stored records in the shape of the QRService messages. */
import type { QRCode } from '@meshmart/proto/qr/v1/qr';
import { contentType, formatToProto, levelToProto } from './options.ts';
import type { QrRecord } from './qr-store.ts';

export function toProtoCode(r: QrRecord): QRCode {
  return {
    id: r.id,
    format: formatToProto(r.format),
    contentType: contentType(r.format),
    size: r.size,
    errorCorrection: levelToProto(r.errorCorrection),
    margin: r.margin,
    darkColor: r.darkColor,
    lightColor: r.lightColor,
    byteLength: r.byteLength,
    createdAt: r.createdAt,
    content: r.content,
  };
}
