/**
 * QR rendering alone, in the bench's own process: qr's renderQr called directly with the
 * options the request-path scenario sends (new content each time, default options), so
 * the figure is the render's CPU and nothing else: no gRPC, database, sidecar or tracing.
 * The request-path figure (qr's CPU per new code through the gateway) is measured on the
 * stack; the two side by side show what the rest of the path costs.
 */
import { DEFAULTS, type Format } from '../../../services/qr/src/options.ts';
import { renderQr } from '../../../services/qr/src/render.ts';

/** Renders one core does per second: 1000 / this process's CPU ms per render. */
export function rendersPerCoreInProcess(format: Format, samples = 2000): number {
  const options = { ...DEFAULTS, format };
  const content = (i: number) => `https://meshmart.local/bench/in-process/${i}`;
  // Warm-up: the JIT, and the per-version mask tables the first symbol of a size builds.
  for (let i = 0; i < 200; i++) renderQr(content(i), options);
  const before = process.cpuUsage();
  for (let i = 0; i < samples; i++) renderQr(content(1000 + i), options);
  const spent = process.cpuUsage(before);
  return 1000 / ((spent.user + spent.system) / 1000 / samples);
}
