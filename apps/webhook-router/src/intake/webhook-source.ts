// A webhook source is the `{source}` of POST /api/v1/webhooks/{source}: github, zendesk, slack, ... It names a
// sender, keys the subscriber lookup and labels metrics, so it is held to the shape of a DNS label.

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const maxSourceLength = 63;

/** Why `source` is not a valid source name, or undefined when it is. */
export function sourceProblem(source: string): string | undefined {
  if (source === '') return 'must not be empty';
  if (source.length > maxSourceLength) return `must be at most ${maxSourceLength} characters`;
  if (!dnsLabel.test(source)) return 'must be a DNS label (lower-case letters, digits and "-", starting and ending with a letter or digit)';
  return undefined;
}
