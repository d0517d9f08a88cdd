/**
 * QR routes, answered over gRPC to qr through the gateway's own sidecar
 * (`dapr-app-id: qr`). The REST option names map onto the proto's enums here, so
 * clients never see those.
 */
import type { qrBatchRequest, qrOptions, qrProgressEvent, qrRequest, qrSummaryEvent } from '@meshmart/contracts/qr';
import { problems } from '@meshmart/kit';
import {
  ErrorCorrection,
  type GenerateQRBatchResponse,
  ImageFormat,
  type QRCode,
  type QROptions,
  type QRServiceClient,
} from '@meshmart/proto/qr/v1/qr';
import type { z } from 'zod';
import { routeInput } from './forward.ts';
import { type RouteContext, type RouteHandler, unaryCalls } from './grpc-callee.ts';
import type { GatewayRoute, QrOperation } from './routes.ts';
import { relayAsEventStream } from './sse.ts';

export interface QrDeps {
  client: QRServiceClient;
  unaryTimeoutMs: number;
  batchTimeoutMs: number;
  heartbeatMs: number;
}

type OptionInput = z.infer<typeof qrOptions>;

const FORMATS: Record<NonNullable<OptionInput['format']>, ImageFormat> = {
  png: ImageFormat.IMAGE_FORMAT_PNG,
  svg: ImageFormat.IMAGE_FORMAT_SVG,
};

const LEVELS: Record<NonNullable<OptionInput['errorCorrection']>, ErrorCorrection> = {
  L: ErrorCorrection.ERROR_CORRECTION_L,
  M: ErrorCorrection.ERROR_CORRECTION_M,
  Q: ErrorCorrection.ERROR_CORRECTION_Q,
  H: ErrorCorrection.ERROR_CORRECTION_H,
};

/** Unset options stay unset (UNSPECIFIED or absent), so qr's defaults and batch options apply. */
export function protoOptions(o: OptionInput): QROptions {
  return {
    format: o.format ? FORMATS[o.format] : ImageFormat.IMAGE_FORMAT_UNSPECIFIED,
    size: o.size,
    errorCorrection: o.errorCorrection ? LEVELS[o.errorCorrection] : ErrorCorrection.ERROR_CORRECTION_UNSPECIFIED,
    margin: o.margin,
    darkColor: o.darkColor,
    lightColor: o.lightColor,
  };
}

export function batchEvent(m: GenerateQRBatchResponse): { event: string; data: unknown } | undefined {
  switch (m.event?.$case) {
    case 'progress': {
      const { index, total, ok, qr, cached, error } = m.event.value;
      const data: z.infer<typeof qrProgressEvent> = ok ? { index, total, ok, id: qr?.id, cached } : { index, total, ok, error };
      return { event: 'progress', data };
    }
    case 'summary': {
      const { total, succeeded, failed, cached, durationMs } = m.event.value;
      const data: z.infer<typeof qrSummaryEvent> = { total, succeeded, failed, cached, durationMs };
      return { event: 'summary', data };
    }
    default:
      return undefined;
  }
}

/** Images are generated, never uploaded; still, nothing in one should run if opened directly. */
function sendImage(ctx: RouteContext, qr: QRCode, image: Buffer): void {
  ctx.set('content-type', qr.contentType);
  ctx.set('x-content-type-options', 'nosniff');
  if (qr.contentType === 'image/svg+xml') ctx.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
  ctx.body = image;
}

export function qrHandler(operation: QrOperation, route: GatewayRoute, deps: QrDeps): RouteHandler {
  const { client, unaryTimeoutMs } = deps;
  const call = unaryCalls(client, 'qr', unaryTimeoutMs);

  switch (operation) {
    case 'generate':
      return async (ctx) => {
        const { content, ...options } = routeInput(route, ctx).body as z.infer<typeof qrRequest>;
        const { qr, image, cached } = await call(client.generateQr, {
          content,
          options: protoOptions(options),
          ownerId: ctx.state.user?.id ?? '',
        });
        if (!qr) throw problems.badGateway('qr answered GenerateQR without the code');
        ctx.status = 201;
        ctx.set('location', `/api/qr/${qr.id}`);
        ctx.set('x-qr-id', qr.id);
        ctx.set('x-qr-cache', cached ? 'hit' : 'miss');
        ctx.set('cache-control', 'no-store');
        sendImage(ctx, qr, image);
      };

    case 'get':
      return async (ctx) => {
        const { id } = routeInput(route, ctx).params as { id: string };
        // What an id names never changes, so its etag is the id, and a revalidation
        // needs no call to qr at all.
        const etag = `"${id}"`;
        const cacheable = () => {
          ctx.set('etag', etag);
          ctx.set('cache-control', 'public, max-age=31536000, immutable');
        };
        const known = ctx.get('if-none-match').split(',');
        if (known.some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
          cacheable();
          ctx.status = 304;
          return;
        }
        const { qr, image } = await call(client.getQr, { id });
        if (!qr) throw problems.badGateway('qr answered GetQR without the code');
        cacheable();
        sendImage(ctx, qr, image);
      };

    case 'batch':
      return async (ctx) => {
        const body = routeInput(route, ctx).body as z.infer<typeof qrBatchRequest>;
        const stream = client.generateQrBatch(
          {
            items: body.items.map(({ content, ...options }) => ({ content, options: protoOptions(options) })),
            options: body.options && protoOptions(body.options),
            ownerId: ctx.state.user?.id ?? '',
          },
          { deadline: Date.now() + deps.batchTimeoutMs },
        );
        await relayAsEventStream(ctx, stream, {
          route: route.path,
          target: 'qr',
          heartbeatMs: deps.heartbeatMs,
          firstMessageTimeoutMs: unaryTimeoutMs,
          toEvent: batchEvent,
        });
      };
  }
}
