// The benchmark's command line: `--name=value` pairs, each with a default sized so that one run finishes in about
// two to three minutes on a 2-core machine.

export interface BenchOptions {
  /** Seconds of the closed-loop run that finds each side's peak rate. */
  durationSeconds: number;
  /** Senders in the closed loop, and the connections each side is loaded through. */
  concurrency: number;
  /** Seconds of the open-loop run at half BDK's peak rate. */
  openSeconds: number;
  /** Seconds of unmeasured load before each closed-loop run (connections opened, caches and JIT warm). */
  warmupSeconds: number;
  /** Bytes of each webhook body, the same on both sides. */
  bodyBytes: number;
  /** How long to wait at the end for the book to have received every accepted webhook. */
  drainSeconds: number;
  /** When set, every Node process of the stack writes a V8 CPU profile here (node --cpu-prof). */
  profileDir: string | undefined;
}

export const defaultBenchOptions: BenchOptions = {
  durationSeconds: 15,
  concurrency: 32,
  openSeconds: 15,
  warmupSeconds: 3,
  bodyBytes: 1_024,
  drainSeconds: 60,
  profileDir: undefined,
};

const numeric: Record<string, { key: keyof BenchOptions; min: number; max: number }> = {
  duration: { key: 'durationSeconds', min: 1, max: 600 },
  concurrency: { key: 'concurrency', min: 1, max: 1_024 },
  'open-duration': { key: 'openSeconds', min: 1, max: 600 },
  warmup: { key: 'warmupSeconds', min: 0, max: 60 },
  'body-bytes': { key: 'bodyBytes', min: 256, max: 1_048_576 },
  'drain-timeout': { key: 'drainSeconds', min: 1, max: 600 },
};

export const usage = `usage: npx nx run e2e:bench [--args="--duration=15 --concurrency=32 --open-duration=15 --warmup=3 --body-bytes=1024 --drain-timeout=60 --profile=<dir>"]`;

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
    const spec = numeric[name];
    if (!spec) throw new Error(`unknown option --${name}\n${usage}`);
    const number = Number(value);
    if (!/^[0-9]+$/.test(value) || number < spec.min || number > spec.max) {
      throw new Error(`--${name} must be a whole number from ${spec.min} to ${spec.max}, got "${value}"`);
    }
    (options[spec.key] as number) = number;
  }
  return options;
}
