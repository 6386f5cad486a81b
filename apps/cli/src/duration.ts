import { InvalidArgumentError } from 'commander';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration ("90s", "5m", "1h30m", "500ms") in milliseconds; a bare number is seconds. */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    total += Number(match[1]) * (units[match[2] ?? ''] ?? 0);
    end = part.lastIndex;
  }
  if (text === '' || end !== text.length) throw new InvalidArgumentError(`not a duration such as 30s, 5m or 1h30m: "${value}"`);
  return Math.round(total);
}

/** Milliseconds as a duration parseDuration reads back: "5m", "1m30s", "1500ms". */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  let seconds = ms / 1000;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const text = `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds ? `${seconds}s` : ''}`;
  return text || '0s';
}
