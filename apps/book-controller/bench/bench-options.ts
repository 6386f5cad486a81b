// The benchmark's command line: `--name=value` pairs over defaults sized for the target (1,000 instances).

export interface BenchOptions {
  /** BookInstanceDefinitions created, each in a customer namespace of its own. */
  instances: number;
  /** The controller's workers (BDK_CONTROLLER_WORKERS), and the plain client's requests in flight. */
  workers: number;
  /** Which sides run: both (the ratio), or one of them alone while looking into it. */
  only: 'baseline' | 'controller' | undefined;
  /** Runs the baseline again after the controller, and compares with the mean of both (a machine whose load moves). */
  repeatBaseline: boolean;
  /** When set, the controller writes a V8 CPU profile here and a heap snapshot once every instance is Ready. */
  profileDir: string | undefined;
  /**
   * Node options of the controller process (its NODE_OPTIONS), e.g. the heap settings it is deployed with: V8 sizes
   * its young generation from the machine's memory (128 MB of it on a host with 16 GB or more), a container's
   * memory limit or --max-semi-space-size.
   */
  nodeOptions: string;
  /** The whole run is abandoned (and everything stopped) after this many seconds. */
  timeoutSeconds: number;
}

export const defaultBenchOptions: BenchOptions = {
  instances: 1_000,
  workers: 8,
  only: undefined,
  repeatBaseline: false,
  profileDir: undefined,
  nodeOptions: '',
  timeoutSeconds: 3_600,
};

const numeric: Record<string, { key: 'instances' | 'workers' | 'timeoutSeconds'; min: number; max: number }> = {
  instances: { key: 'instances', min: 1, max: 5_000 },
  workers: { key: 'workers', min: 1, max: 64 },
  timeout: { key: 'timeoutSeconds', min: 60, max: 14_400 },
};

export const usage =
  'usage: npx nx run book-controller:bench [--args="--instances=1000 --workers=8 --timeout=3600 --only=baseline|controller --repeat-baseline=true --profile=<dir> --node-options=<flags>"]';

/** Reads `--name=value` arguments over the defaults; throws with the usage on anything else. */
export function parseBenchOptions(args: readonly string[]): BenchOptions {
  const options: BenchOptions = { ...defaultBenchOptions };
  for (const arg of args) {
    const match = /^--([a-z-]+)=(.+)$/.exec(arg);
    if (!match) throw new Error(`unknown argument "${arg}"\n${usage}`);
    const [, name = '', value = ''] = match;
    if (name === 'profile') {
      options.profileDir = value;
      continue;
    }
    if (name === 'node-options') {
      options.nodeOptions = value;
      continue;
    }
    if (name === 'repeat-baseline') {
      if (value !== 'true' && value !== 'false') throw new Error(`--repeat-baseline must be true or false, got "${value}"`);
      options.repeatBaseline = value === 'true';
      continue;
    }
    if (name === 'only') {
      if (value !== 'baseline' && value !== 'controller') throw new Error(`--only must be baseline or controller, got "${value}"`);
      options.only = value;
      continue;
    }
    const spec = numeric[name];
    if (!spec) throw new Error(`unknown option --${name}\n${usage}`);
    const number = Number(value);
    if (!/^[0-9]+$/.test(value) || number < spec.min || number > spec.max) {
      throw new Error(`--${name} must be a whole number from ${spec.min} to ${spec.max}, got "${value}"`);
    }
    options[spec.key] = number;
  }
  return options;
}
