import assert from 'node:assert/strict';
import { services } from '@meshmart/kit/topology';
import { allPorts, infraPorts, probePort, servicePorts } from '../src/ports.ts';

describe('local ports', () => {
  it('gives every port of the stack to exactly one owner', () => {
    const seen = new Map<number, string>();
    for (const { owner, role, port } of allPorts()) {
      const other = seen.get(port);
      assert.equal(other, undefined, `${owner}.${role} and ${other} both use ${port}`);
      seen.set(port, `${owner}.${role}`);
    }
  });

  it('uses only unprivileged ports', () => {
    for (const { owner, role, port } of allPorts()) {
      assert.ok(port > 1024 && port < 65536, `${owner}.${role}: ${port}`);
    }
  });

  it('stays off the defaults of a system PostgreSQL, Redis, RabbitMQ, MongoDB, Jaeger and Prometheus', () => {
    const systemDefaults = [
      5432, 6379, 5672, 4369, 25672, 27017, 16686, 4317, 4318, 14250, 14268, 14269, 9090, 6831, 6832, 5778, 8088,
    ];
    const used = new Set(allPorts().map((p) => p.port));
    for (const port of systemDefaults) assert.ok(!used.has(port), `${port} is a system default`);
  });

  it('keeps the gateway on 3000, where people expect it', () => {
    assert.equal(servicePorts('gateway').app, 3000);
  });

  it('allocates the same ports for the same topology', () => {
    for (const s of services) assert.deepEqual(servicePorts(s.name), servicePorts(s.name));
  });

  it('probes HTTP apps on their app port and gRPC-only apps on their admin port', () => {
    for (const s of services) {
      const ports = servicePorts(s.name);
      if (s.adminPort === undefined) {
        assert.equal(ports.admin, undefined);
        assert.equal(probePort(s.name), ports.app);
      } else {
        assert.equal(probePort(s.name), ports.admin);
      }
    }
  });

  it('lists every infrastructure port in allPorts()', () => {
    const listed = new Set(allPorts().map((p) => p.port));
    for (const port of Object.values(infraPorts)) assert.ok(listed.has(port));
  });
});
