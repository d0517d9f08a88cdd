/**
 * `npm run synth -w @meshmart/cdk8s [-- --size=small]`: writes cdk8s/dist/*.yaml for
 * skaffold to deploy. The output directory is emptied first so a chart that no longer
 * exists cannot leave stale manifests behind.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { services } from '@meshmart/kit/topology';
import { parseDuration } from '@meshmart/stack/load-script';
import { buildApp } from './app.ts';
import { readDashboards } from './dashboards/dashboard-files.ts';
import { istioFaultProfile } from './mesh/faults.ts';
import { defaultSecretSeedFile, distDir } from './repo-paths.ts';
import { SecretValues } from './secret-values.ts';
import { sizing } from './settings.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'default' },
    // The cdk8s CLI (`cdk8s synth`, see cdk8s.yaml) passes its output directory this way.
    out: { type: 'string', default: process.env.CDK8S_OUTDIR ?? distDir },
    'secret-seed': { type: 'string', default: process.env.MESHMART_SECRET_SEED_FILE ?? defaultSecretSeedFile },
    // Off by default: e.g. --istio-faults=payments-slow (mesh/faults.ts lists the profiles).
    'istio-faults': { type: 'string', multiple: true, default: [] },
    // Off by default: e.g. --load-rate=20 --load-duration=5m adds the load Job (load/load-job.ts).
    'load-rate': { type: 'string' },
    'load-duration': { type: 'string', default: '5m' },
  },
});
const load =
  values['load-rate'] === undefined
    ? undefined
    : { rate: Number(values['load-rate']), durationSeconds: parseDuration(values['load-duration']) };
if (load && !(load.rate > 0)) throw new Error(`--load-rate=${values['load-rate']}: expected journeys per second`);

rmSync(values.out, { recursive: true, force: true });
const app = buildApp(
  {
    services,
    sizing: sizing(values.size),
    secrets: SecretValues.fromSeedFile(values['secret-seed']),
    dashboards: readDashboards(),
    istioFaults: values['istio-faults'].map(istioFaultProfile),
    ...(load && { load }),
  },
  values.out,
);
app.synth();
console.log(`synthesized ${values.size}-size manifests${load ? ' with the load Job' : ''} into ${values.out}`);
