/**
 * Image bytes through the Dapr output binding (`blobstore`). localstorage decodes a
 * `data` string that parses as base64 and stores anything else as text, so images are
 * always sent base64-encoded; `get` answers with the raw file bytes.
 */
import { status } from '@grpc/grpc-js';
import { BindingError, GrpcError, type Sidecar } from '@meshmart/kit';
import type { Format } from './options.ts';

export const blobName = (id: string, format: Format): string => `qr/${id}.${format}`;

function unavailable(err: unknown, what: string): unknown {
  if (!(err instanceof BindingError)) return err;
  return new GrpcError(status.UNAVAILABLE, `the image store could not ${what}: ${err.message}`);
}

export class ImageStore {
  constructor(
    private readonly bindings: Pick<Sidecar, 'invokeBinding' | 'invokeBindingForBytes'>,
    private readonly binding: string,
  ) {}

  async save(name: string, image: Buffer): Promise<void> {
    try {
      await this.bindings.invokeBinding(this.binding, {
        operation: 'create',
        data: image.toString('base64'),
        metadata: { fileName: name },
      });
    } catch (err) {
      throw unavailable(err, 'store the image');
    }
  }

  async load(name: string): Promise<Buffer> {
    try {
      return await this.bindings.invokeBindingForBytes(this.binding, { operation: 'get', metadata: { fileName: name } });
    } catch (err) {
      throw unavailable(err, 'read the image');
    }
  }

  /** Best effort: an orphaned file wastes space but is never served. */
  async remove(name: string): Promise<void> {
    await this.bindings.invokeBinding(this.binding, { operation: 'delete', metadata: { fileName: name } }).catch(() => {});
  }
}
