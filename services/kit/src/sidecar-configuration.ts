/**
 * Dapr's configuration API over the sidecar's gRPC port, with grpc-js and the SDK's
 * generated messages. Not through the SDK's clients: its HTTP client does not offer
 * configuration at all, and its gRPC client swallows a stream that fails or ends, so a
 * subscriber would never learn that it has to subscribe again (see the kit's README).
 */
import { createRequire } from 'node:module';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { GetConfigurationResponse, SubscribeConfigurationResponse } from '@dapr/dapr/proto/dapr/proto/runtime/v1/dapr_pb.js';
import * as grpc from '@grpc/grpc-js';

type DaprPb = typeof import('@dapr/dapr/proto/dapr/proto/runtime/v1/dapr_pb.js');
/** The messages only, loaded by the services that read configuration. */
let loaded: DaprPb | undefined;
function daprPb(): DaprPb {
  loaded ??= createRequire(import.meta.url)('@dapr/dapr/proto/dapr/proto/runtime/v1/dapr_pb.js') as DaprPb;
  return loaded;
}

const DAPR_SERVICE = '/dapr.proto.runtime.v1.Dapr';

export interface ConfigurationHandlers {
  /** Changed items (key → value as stored). */
  onItems(items: Record<string, string>): void;
  /**
   * The sidecar confirmed the subscription (its first message carries the subscription
   * id): from here on no change is missed, so this is the moment to read current values.
   */
  onSubscribed?(): void;
  /** The stream failed or ended; called once, and never after `cancel()`. */
  onEnd(reason: string): void;
}

export interface ConfigurationSubscription {
  cancel(): void;
}

export class SidecarConfiguration {
  private client: grpc.Client | undefined;

  constructor(private readonly options: { daprGrpcPort: number; daprApiToken?: string | undefined }) {}

  private channel(): grpc.Client {
    this.client ??= new grpc.Client(`127.0.0.1:${this.options.daprGrpcPort}`, grpc.credentials.createInsecure());
    return this.client;
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.options.daprApiToken) metadata.set('dapr-api-token', this.options.daprApiToken);
    return metadata;
  }

  get(store: string, keys: string[], timeoutMs: number): Promise<Record<string, string>> {
    const pb = daprPb();
    const request = create(pb.GetConfigurationRequestSchema, { storeName: store, keys });
    return new Promise((resolve, reject) => {
      this.channel().makeUnaryRequest(
        `${DAPR_SERVICE}/GetConfiguration`,
        (m: typeof request) => Buffer.from(toBinary(pb.GetConfigurationRequestSchema, m)),
        (b: Buffer): GetConfigurationResponse => fromBinary(pb.GetConfigurationResponseSchema, b),
        request,
        this.metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, response) => {
          if (err || !response) reject(err ?? new Error(`no configuration from ${store}`));
          else resolve(Object.fromEntries(Object.entries(response.items).map(([key, item]) => [key, item.value])));
        },
      );
    });
  }

  subscribe(store: string, keys: string[], handlers: ConfigurationHandlers): ConfigurationSubscription {
    const pb = daprPb();
    const request = create(pb.SubscribeConfigurationRequestSchema, { storeName: store, keys });
    const stream = this.channel().makeServerStreamRequest(
      `${DAPR_SERVICE}/SubscribeConfiguration`,
      (m: typeof request) => Buffer.from(toBinary(pb.SubscribeConfigurationRequestSchema, m)),
      (b: Buffer) => fromBinary(pb.SubscribeConfigurationResponseSchema, b),
      request,
      this.metadata(),
    );
    let over = false;
    // 'error' and 'end' may both come: the subscriber hears of one.
    const end = (reason: string) => {
      if (over) return;
      over = true;
      stream.cancel();
      handlers.onEnd(reason);
    };
    let subscribed = false;
    stream.on('data', (response: SubscribeConfigurationResponse) => {
      const items = Object.fromEntries(Object.entries(response.items).map(([key, item]) => [key, item.value]));
      if (Object.keys(items).length > 0) handlers.onItems(items);
      if (subscribed) return;
      subscribed = true;
      handlers.onSubscribed?.();
    });
    stream.on('error', (err: grpc.ServiceError) => end(err.details || err.message));
    stream.on('end', () => end('subscription ended'));
    return {
      cancel: () => {
        over = true;
        stream.cancel();
      },
    };
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
