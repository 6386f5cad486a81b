// @bdk/delivery-store: the durable record of the webhooks the router accepted, the work still owed to each target
// instance and its attempts, behind one interface with two back ends (SQLite for one replica, NATS JetStream for
// several). The router keeps its deliveries in it; `bdk admin backup`/`restore` read and write the same stores.
export {
  deliveryStates,
  InvalidPageToken,
  type AcceptResult,
  type AttemptOutcome,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryFilter,
  type DeliveryPage,
  type DeliveryState,
  type DeliveryStore,
  type DeliveryTarget,
  type DueWork,
  type ExportedDelivery,
  type ImportResult,
  type NewDelivery,
  type QueueStats,
  type TargetStatus,
} from './delivery-store.js';
export { openNatsDeliveryStore, type NatsDeliveryStoreOptions } from './nats-store.js';
export { openSqliteDeliveryStore, type SqliteStoreOptions } from './sqlite-store.js';
export { uuidv7 } from './uuidv7.js';
