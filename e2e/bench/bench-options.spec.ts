import { describe, expect, it } from '@jest/globals';
import { defaultBenchOptions, parseBenchOptions } from './bench-options.js';

describe('parseBenchOptions', () => {
  it('gives the defaults for no arguments', () => {
    expect(parseBenchOptions([])).toEqual(defaultBenchOptions);
  });

  it('reads each --name=value over the defaults', () => {
    expect(parseBenchOptions(['--duration=30', '--concurrency=8', '--open-duration=10', '--warmup=0', '--body-bytes=4096', '--drain-timeout=90', '--profile=/tmp/p'])).toEqual({
      durationSeconds: 30,
      concurrency: 8,
      openSeconds: 10,
      warmupSeconds: 0,
      bodyBytes: 4096,
      drainSeconds: 90,
      profileDir: '/tmp/p',
    });
  });

  it.each([['--duration=0'], ['--duration=1.5'], ['--concurrency=-1'], ['--body-bytes=100'], ['--speed=9'], ['30']])('refuses %s', (arg) => {
    expect(() => parseBenchOptions([arg])).toThrow(/--|unknown/);
  });
});
