/** The QRService handlers: inputs checked here, at the service's edge. */
import { status } from '@grpc/grpc-js';
import { GrpcError, type StreamHandler, type UnaryHandler } from '@meshmart/kit';
import type {
  GenerateQRBatchRequest,
  GenerateQRBatchResponse,
  GenerateQRRequest,
  GenerateQRResponse,
  GetQRRequest,
  GetQRResponse,
} from '@meshmart/proto/qr/v1/qr';
import { runBatch } from './batch.ts';
import type { QrCodes } from './codes.ts';
import { checkContent, checkOwner, normalizeOptions } from './options.ts';
import { toProtoCode } from './proto.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function qrHandlers(
  codes: QrCodes,
  settings: { batchConcurrency: number },
): {
  generateQr: UnaryHandler<GenerateQRRequest, GenerateQRResponse>;
  getQr: UnaryHandler<GetQRRequest, GetQRResponse>;
  generateQrBatch: StreamHandler<GenerateQRBatchRequest, GenerateQRBatchResponse>;
} {
  return {
    async generateQr(call) {
      const { content, options, ownerId } = call.request;
      checkContent(content);
      const normalized = normalizeOptions(options);
      checkOwner(ownerId);
      const result = await codes.generate({ content, options: normalized, ownerId, batch: false });
      return { qr: toProtoCode(result.record), image: result.image, cached: result.cached };
    },

    async getQr(call) {
      const { id } = call.request;
      // Ids are random UUIDs; anything else cannot name a code.
      const found = UUID.test(id) ? await codes.get(id.toLowerCase()) : undefined;
      if (!found) throw new GrpcError(status.NOT_FOUND, `no QR code ${JSON.stringify(id.slice(0, 64))}`);
      return { qr: toProtoCode(found.record), image: found.image };
    },

    generateQrBatch: (call) => runBatch(call, codes, settings.batchConcurrency),
  };
}
