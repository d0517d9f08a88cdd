/**
 * QR rendering alone, in a process of its own: renderQr called directly with the options
 * the bench's request-path scenario sends (new content each time, default options), so
 * the figure is the render's CPU and nothing else: no gRPC, database, sidecar or tracing.
 * `npm run bench` runs it and prints its figure beside the request path's (qr's CPU per
 * new code through the gateway); the two side by side show what the rest of the path costs.
 *
 *   bash scripts/with-node.sh node --import tsx services/qr/bench/render-rate.ts
 *
 * prints, as its last line, `{"png": <renders per s>, "svg": <renders per s>}`.
 */
import { reportBenchResult } from '@meshmart/stack/bench';
import { DEFAULTS, type Format } from '../src/options.ts';
import { renderQr } from '../src/render.ts';

/** Renders one core does per second: 1000 / this process's CPU ms per render. */
function rendersPerCore(format: Format, samples = 2000): number {
  const options = { ...DEFAULTS, format };
  const content = (i: number) => `https://meshmart.local/bench/in-process/${i}`;
  // Warm-up: the JIT, and the per-version mask tables the first symbol of a size builds.
  for (let i = 0; i < 200; i++) renderQr(content(i), options);
  const before = process.cpuUsage();
  for (let i = 0; i < samples; i++) renderQr(content(1000 + i), options);
  const spent = process.cpuUsage(before);
  return 1000 / ((spent.user + spent.system) / 1000 / samples);
}

reportBenchResult({ png: rendersPerCore('png'), svg: rendersPerCore('svg') });
