// The table columns of each resource, as the gateway's JSON names its fields.
import type { Column } from './output.js';

type Row = Record<string, unknown>;

function field(row: Row, path: string): unknown {
  let value: unknown = row;
  for (const key of path.split('.')) value = typeof value === 'object' && value !== null ? (value as Row)[key] : undefined;
  return value;
}

/** Timestamps to the second: the table is for reading; -o json has them whole. */
function time(row: Row, path: string): unknown {
  const value = field(row, path);
  return typeof value === 'string' ? value.replace(/\.\d+Z$/, 'Z') : value;
}

const column = (header: string, path: string): Column<Row> => ({ header, value: (row) => field(row, path) });
const timeColumn = (header: string, path: string): Column<Row> => ({ header, value: (row) => time(row, path) });

export const bookColumns: Column<Row>[] = [
  column('book id', 'book_id'),
  column('name', 'name'),
  column('version', 'version'),
  { header: 'lifecycle', value: (row) => field(row, 'lifecycle.state') || 'active' },
  timeColumn('created', 'created_at'),
];

export const createdBookColumns: Column<Row>[] = [column('book id', 'book_id'), column('name', 'name'), column('version', 'version'), timeColumn('created', 'created_at')];

export const instanceColumns: Column<Row>[] = [
  column('instance id', 'instance_id'),
  { header: 'book', value: (row) => [field(row, 'book_ref.name'), field(row, 'book_ref.version')].filter(Boolean).join('@') || field(row, 'book_id') },
  column('namespace', 'customer_namespace'),
  { header: 'phase', value: (row) => (field(row, 'suspended') ? `${field(row, 'status.phase') ?? ''} (suspended)` : field(row, 'status.phase')) },
  {
    header: 'ready',
    value: (row) => {
      const replicas = field(row, 'status.deployment_status') as Row | undefined;
      return replicas ? `${replicas['ready_replicas'] ?? 0}/${replicas['total_replicas'] ?? 0}` : undefined;
    },
  },
  timeColumn('created', 'created_at'),
];

export const createdInstanceColumns: Column<Row>[] = [
  column('instance id', 'instance_id'),
  column('book id', 'book_id'),
  column('namespace', 'customer_namespace'),
  column('status', 'status'),
  timeColumn('created', 'created_at'),
];

/** The webhooks of a created instance, with the signing secret it is the only answer to show. */
export const instanceWebhookColumns: Column<Row>[] = [column('source', 'source'), column('scheme', 'scheme'), column('url', 'url'), column('signing secret', 'signing_secret')];

export const deliveryColumns: Column<Row>[] = [
  column('webhook id', 'webhook_id'),
  column('source', 'source'),
  column('event', 'event'),
  column('state', 'state'),
  column('attempts', 'attempts'),
  column('targets', 'targets'),
  timeColumn('received', 'received_at'),
];

export const deliveryTargetColumns: Column<Row>[] = [
  column('instance id', 'instance_id'),
  column('routed to', 'routed_to'),
  column('state', 'state'),
  column('attempts', 'attempts'),
  column('last error', 'last_error'),
];

export const deliveryAttemptColumns: Column<Row>[] = [
  timeColumn('attempted', 'attempted_at'),
  column('routed to', 'routed_to'),
  column('http status', 'http_status'),
  column('latency ms', 'latency_ms'),
  column('error', 'error'),
];

export const webhookResultColumns: Column<Row>[] = [
  column('webhook id', 'webhook_id'),
  column('processed', 'processed'),
  column('routed to', 'routed_to'),
  column('refused', 'refused_targets'),
  column('duplicate', 'duplicate'),
];
