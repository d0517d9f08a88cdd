import assert from 'node:assert/strict';
import { z } from 'zod';
import { Problem, problemFromBody, problems } from '../src/errors.ts';
import { fieldErrors, parse } from '../src/validation.ts';

describe('problem details', () => {
  it('renders RFC 9457 members and field errors', () => {
    const body = problems.validation([{ field: 'email', message: 'invalid' }]).toBody('/api/x');
    assert.equal(body.status, 400);
    assert.equal(body.title, 'Request failed validation');
    assert.equal(body.instance, '/api/x');
    assert.match(body.type, /^https:\/\/meshmart\.dev\/problems\/validation$/);
    assert.deepEqual(body.errors, [{ field: 'email', message: 'invalid' }]);
  });

  it('names what went wrong in a code: the one given, or the type in snake case', () => {
    assert.equal(problems.notFound('no order').toBody().code, 'not_found');
    assert.equal(problems.idempotencyKeyReused().toBody().code, 'idempotency_key_reused');
    const declined = new Problem(402, 'payment-declined', 'Payment declined', { code: 'card_declined' });
    assert.equal(declined.toBody().code, 'card_declined');
    assert.equal(problemFromBody(declined.toBody()).code, 'card_declined');
    assert.equal(problemFromBody({ type: 'https://example.com/x', title: 'X', status: 409 }).code, 'upstream');
  });

  it('survives a round trip through another service unchanged', () => {
    const original = problems.conflict('an account with this e-mail already exists');
    const copy = problemFromBody(original.toBody());
    assert.ok(copy instanceof Problem);
    assert.deepEqual(copy.toBody(), original.toBody());
  });

  it('tells clients when to retry', () => {
    assert.equal(problems.tooManyRequests(7).headers['retry-after'], '7');
    assert.equal(problems.unavailable('down').headers['retry-after'], '1');
  });
});

describe('validation', () => {
  const schema = z.strictObject({ name: z.string(), qty: z.number().int().positive() });

  it('names unknown fields, wrong types and operator objects', () => {
    const result = schema.safeParse({ name: { $gt: '' }, qty: 'two', extra: 1 });
    assert.ok(!result.success);
    const fields = fieldErrors(result.error).map((e) => e.field);
    assert.deepEqual(fields.sort(), ['extra', 'name', 'qty']);
  });

  it('throws a 400 problem the app factory can render', () => {
    assert.throws(
      () => parse(schema, { name: 'x', qty: -1 }),
      (err: unknown) => err instanceof Problem && err.status === 400 && err.errors?.[0]?.field === 'qty',
    );
  });
});
