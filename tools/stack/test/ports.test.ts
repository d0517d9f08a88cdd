import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { services } from '@meshmart/kit/topology';
import { controlPlanePorts } from '../src/control-plane/control-plane.ts';
import { daprInjectorPorts } from '../src/control-plane/dapr-injector.ts';
import { istiodPorts } from '../src/control-plane/istiod.ts';
import { allPorts, ephemeralPortRange, infraPorts, probePort, servicePorts } from '../src/ports.ts';

function rangeFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'port-range-')), 'ip_local_port_range');
  writeFileSync(file, text);
  return file;
}

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

  it("keeps every fixed listening port out of this machine's ephemeral range", () => {
    // An outgoing connection's local end can take a port in that range at any time; the
    // CI run where RabbitMQ's epmd found 56722 taken is why the infrastructure moved.
    const { low, high } = ephemeralPortRange();
    const fixed = [
      ...allPorts().map(({ owner, role, port }) => ({ name: `${owner}.${role}`, port })),
      ...Object.entries({ ...controlPlanePorts, ...istiodPorts, ...daprInjectorPorts }).map(([name, port]) => ({ name, port })),
    ];
    const inside = fixed.filter(({ port }) => port >= low && port <= high).map(({ name, port }) => `${name} ${port}`);
    assert.deepEqual(inside, [], `inside ${low}-${high}`);
  });

  it('reads the ephemeral range from the kernel file and rejects a garbled one', () => {
    assert.deepEqual(ephemeralPortRange(rangeFile('32768\t60999\n')), { low: 32768, high: 60999 });
    assert.deepEqual(ephemeralPortRange(rangeFile('1024 65535')), { low: 1024, high: 65535 });
    assert.throws(() => ephemeralPortRange(rangeFile('nonsense')), /expected two ports/);
    assert.deepEqual(ephemeralPortRange('/nonexistent/ip_local_port_range'), { low: 32768, high: 60999 });
    // A file that exists but cannot be read is not taken for a missing one.
    assert.throws(() => ephemeralPortRange(tmpdir()), /EISDIR/);
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
