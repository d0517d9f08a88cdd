/**
 * What a service's own benchmark script (`services/<name>/bench/*.ts`) takes from the
 * bench: its closed loop, percentile and CPU sampling, the search data set, and the one-line report
 * that `runServiceBench` reads back. A service's in-process figure is measured by code in
 * the service's folder, next to what it measures, and the bench runs it as a process of
 * its own, so neither package reaches into the other's files.
 */

export { SEARCH_PRODUCTS, SEARCH_QUERIES, seedSearchProducts } from '../bench-search.ts';
export { sampleCpu } from './cpu.ts';
export { closedLoop, http, percentile } from './load.ts';

/** Prints a service bench's figures as its last line of output, where `runServiceBench` reads them. */
export function reportBenchResult(figures: Record<string, number>): void {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
