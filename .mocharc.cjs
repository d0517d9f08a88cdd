// One mocha run for the whole repo. File names decide the level: *.int.test.ts need the
// real infrastructure, *.cluster.test.ts a Kubernetes control plane on loopback (built by
// scripts/setup/cluster-tools.sh), *.e2e.test.ts the whole local stack, *.fault.test.ts
// the whole local stack with processes killed on purpose; everything else is a unit test.
// Levels run in that order so cheap failures show first.
const level = process.env.TEST_LEVEL; // unit | int | cluster | e2e | fault | unset = all
const specs = {
  unit: ['**/test/**/!(*.int|*.cluster|*.e2e|*.fault).test.ts'],
  int: ['**/test/**/*.int.test.ts'],
  cluster: ['**/test/**/*.cluster.test.ts'],
  e2e: ['**/test/**/*.e2e.test.ts'],
  fault: ['**/test/**/*.fault.test.ts'],
};

module.exports = {
  import: ['tsx'],
  spec: level ? specs[level] : [...specs.unit, ...specs.int, ...specs.cluster, ...specs.e2e, ...specs.fault],
  ignore: ['**/node_modules/**'],
  reporter: './tools/test/summary-reporter.cjs',
  timeout: 60_000,
  exit: true,
  forbidOnly: true,
};
