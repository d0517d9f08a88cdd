import assert from 'node:assert/strict';
import { eventSchemas } from '@meshmart/contracts/events';
import { topics } from '../src/topology.ts';

describe('event contracts and the topology', () => {
  it('have one schema for every topic, and no schema without a topic', () => {
    assert.deepEqual(Object.keys(eventSchemas).sort(), [...topics].sort());
  });
});
