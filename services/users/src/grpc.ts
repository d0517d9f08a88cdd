/** gRPC UsersInternalService: lookups for services acting for a user (e.g. orders). */

import { status } from '@grpc/grpc-js';
import { GrpcError, type UnaryHandler } from '@meshmart/kit';
import type { GetUserRequest, GetUserResponse } from '@meshmart/proto/users/v1/users';
import type { UsersRepo } from './users-store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function usersInternalHandlers(repo: UsersRepo): { getUser: UnaryHandler<GetUserRequest, GetUserResponse> } {
  return {
    async getUser(call) {
      const { userId, addressId } = call.request;
      if (!UUID.test(userId)) throw new GrpcError(status.INVALID_ARGUMENT, 'user_id must be a UUID');
      if (addressId && !UUID.test(addressId)) throw new GrpcError(status.INVALID_ARGUMENT, 'address_id must be a UUID');
      const user = await repo.byId(userId);
      if (!user) throw new GrpcError(status.NOT_FOUND, `no user ${userId}`);
      const address = addressId ? await repo.address(userId, addressId) : undefined;
      if (addressId && !address) throw new GrpcError(status.NOT_FOUND, `user ${userId} has no address ${addressId}`);
      return { user, address };
    },
  };
}
