/** users' internal GetUser through orders' own sidecar (`dapr-app-id: users`). */

import { status } from '@grpc/grpc-js';
import { ordersErrors } from '@meshmart/contracts/orders';
import { Problem, problemFromGrpc, unary } from '@meshmart/kit';
import type { UsersInternalServiceClient } from '@meshmart/proto/users/v1/users';
import type { ShippingAddress } from './order.ts';

export interface Buyer {
  email: string;
  shippingAddress: ShippingAddress;
}

export class UsersDirectory {
  constructor(
    private readonly client: UsersInternalServiceClient,
    private readonly timeoutMs: number,
  ) {}

  /** The buyer and the shipping address, which must be one of theirs. */
  async buyer(userId: string, addressId: string): Promise<Buyer> {
    try {
      const { user, address } = await unary(this.client.getUser.bind(this.client), { userId, addressId }, this.timeoutMs);
      if (!user || !address) throw new Error('GetUser answered without the user or the address');
      return { email: user.email, shippingAddress: address };
    } catch (err) {
      // The token proved the user; a NOT_FOUND is the address that is not theirs.
      if ((err as { code?: unknown }).code === status.NOT_FOUND) {
        throw new Problem(422, 'unknown-address', 'Unknown shipping address', {
          detail: 'shippingAddressId is not an address of the signed-in user',
          errors: [{ field: 'shippingAddressId', message: 'no such address' }],
          code: ordersErrors.unknownAddress,
        });
      }
      throw problemFromGrpc(err, 'users');
    }
  }
}
