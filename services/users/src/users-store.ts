/** SQL for users and addresses. Rows are mapped to the API's camelCase shapes here only. */
import { randomUUID } from 'node:crypto';
import { type Address, type AddressRequest, type User, usersErrors } from '@meshmart/contracts/users';
import { enqueueEvent, inTransaction, isUniqueViolation, problems } from '@meshmart/kit';
import type pg from 'pg';

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  roles: string[];
  created_at: Date;
  password_hash: string;
}

interface AddressRow {
  id: string;
  label: string;
  line1: string;
  line2: string;
  city: string;
  postal_code: string;
  country: string;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  email: r.email,
  displayName: r.display_name,
  roles: r.roles,
  createdAt: r.created_at.toISOString(),
});

const toAddress = (r: AddressRow): Address => ({
  id: r.id,
  label: r.label,
  line1: r.line1,
  line2: r.line2,
  city: r.city,
  postalCode: r.postal_code,
  country: r.country,
});

export class UsersRepo {
  constructor(private readonly pool: pg.Pool) {}

  /** Creates the account and its user.registered event in one transaction. */
  async create(input: { email: string; passwordHash: string; displayName: string; roles: string[] }): Promise<User> {
    try {
      return await inTransaction(this.pool, async (client) => {
        const { rows } = await client.query<UserRow>(
          `INSERT INTO users (id, email, password_hash, display_name, roles) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
          [randomUUID(), input.email, input.passwordHash, input.displayName, input.roles],
        );
        const user = toUser(rows[0] as UserRow);
        await enqueueEvent(client, 'user.registered', {
          userId: user.id,
          email: user.email,
          displayName: user.displayName,
          registeredAt: user.createdAt,
        });
        return user;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'users_email_key'))
        throw problems.conflict('an account with this e-mail already exists', usersErrors.emailTaken);
      throw err;
    }
  }

  async credentials(email: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [email]);
    const row = rows[0];
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  async byId(id: string): Promise<User | undefined> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] && toUser(rows[0]);
  }

  async list(limit: number, offset: number): Promise<{ items: User[]; total: number }> {
    const [{ rows }, count] = await Promise.all([
      this.pool.query<UserRow>('SELECT * FROM users ORDER BY created_at, id LIMIT $1 OFFSET $2', [limit, offset]),
      this.pool.query<{ n: string }>('SELECT count(*) AS n FROM users'),
    ]);
    return { items: rows.map(toUser), total: Number(count.rows[0]?.n ?? 0) };
  }

  async updateDisplayName(id: string, displayName: string): Promise<User | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      'UPDATE users SET display_name = $2, updated_at = now() WHERE id = $1 RETURNING *',
      [id, displayName],
    );
    return rows[0] && toUser(rows[0]);
  }

  async grantRole(email: string, role: string): Promise<void> {
    await this.pool.query(
      'UPDATE users SET roles = array_append(roles, $2), updated_at = now() WHERE lower(email) = lower($1) AND NOT ($2 = ANY(roles))',
      [email, role],
    );
  }

  async addresses(userId: string): Promise<Address[]> {
    const { rows } = await this.pool.query<AddressRow>('SELECT * FROM addresses WHERE user_id = $1 ORDER BY created_at, id', [
      userId,
    ]);
    return rows.map(toAddress);
  }

  async address(userId: string, id: string): Promise<Address | undefined> {
    const { rows } = await this.pool.query<AddressRow>('SELECT * FROM addresses WHERE user_id = $1 AND id = $2', [userId, id]);
    return rows[0] && toAddress(rows[0]);
  }

  async addAddress(userId: string, a: AddressRequest): Promise<Address> {
    const { rows } = await this.pool.query<AddressRow>(
      `INSERT INTO addresses (id, user_id, label, line1, line2, city, postal_code, country)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [randomUUID(), userId, a.label, a.line1, a.line2, a.city, a.postalCode, a.country],
    );
    return toAddress(rows[0] as AddressRow);
  }

  async replaceAddress(userId: string, id: string, a: AddressRequest): Promise<Address | undefined> {
    const { rows } = await this.pool.query<AddressRow>(
      `UPDATE addresses SET label = $3, line1 = $4, line2 = $5, city = $6, postal_code = $7, country = $8
        WHERE user_id = $1 AND id = $2 RETURNING *`,
      [userId, id, a.label, a.line1, a.line2, a.city, a.postalCode, a.country],
    );
    return rows[0] && toAddress(rows[0]);
  }

  async deleteAddress(userId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM addresses WHERE user_id = $1 AND id = $2', [userId, id]);
    return (rowCount ?? 0) > 0;
  }
}
