// The work-queue metrics client-go and controller-runtime export, under the same names, help and buckets, so the
// dashboards and alerts written for Go controllers read these too. One WorkQueueMetrics serves any number of
// queues, told apart by the `name` label; the gauges are read from the queues when /metrics is scraped.
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';

/** What a queue reports about itself at scrape time. */
export interface WorkQueueGauges {
  /** Keys waiting to be handed out, including those marked again while a worker holds them. */
  depth(): number;
  /** Seconds the keys held by workers right now have been held, added up. */
  unfinishedWorkSeconds(): number;
  /** Seconds the longest-held key has been held. */
  longestRunningProcessorSeconds(): number;
}

/** What a queue records as it goes. */
export interface WorkQueueRecorder {
  added(): void;
  retried(): void;
  /** A key was handed to a worker after waiting this long since it was added. */
  queued(seconds: number): void;
  /** A worker finished with a key it held this long. */
  worked(seconds: number): void;
}

const nameLabel = ['name'] as const;
// client-go's buckets: 10ns to 1000s by factors of ten.
const durationBuckets = exponentialBuckets(10e-9, 10, 12);

export class WorkQueueMetrics {
  private readonly queues = new Map<string, WorkQueueGauges>();
  private readonly adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: nameLabel, registers: [] });
  private readonly retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: nameLabel, registers: [] });
  private readonly queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: nameLabel,
    buckets: durationBuckets,
    registers: [],
  });
  private readonly workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes.',
    labelNames: nameLabel,
    buckets: durationBuckets,
    registers: [],
  });
  private readonly depth = this.gauge('workqueue_depth', 'Current depth of workqueue', (queue) => queue.depth());
  private readonly unfinished = this.gauge(
    'workqueue_unfinished_work_seconds',
    "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
    (queue) => queue.unfinishedWorkSeconds(),
  );
  private readonly longestRunning = this.gauge(
    'workqueue_longest_running_processor_seconds',
    'How many seconds has the longest running processor for workqueue been running.',
    (queue) => queue.longestRunningProcessorSeconds(),
  );

  register(registry: Registry): void {
    for (const metric of [this.depth, this.adds, this.retries, this.queueDuration, this.workDuration, this.unfinished, this.longestRunning]) {
      registry.registerMetric(metric);
    }
  }

  /** Starts reporting the queue `name`; a second queue of the same name would make its series ambiguous. */
  forQueue(name: string, gauges: WorkQueueGauges): WorkQueueRecorder {
    if (this.queues.has(name)) throw new Error(`a work queue named "${name}" already reports to these metrics`);
    this.queues.set(name, gauges);
    const labels = { name };
    // Every series exists from the start, so a rate over a queue that never retried reads 0 rather than nothing.
    this.adds.inc(labels, 0);
    this.retries.inc(labels, 0);
    this.queueDuration.zero(labels);
    this.workDuration.zero(labels);
    return {
      added: () => this.adds.inc(labels),
      retried: () => this.retries.inc(labels),
      queued: (seconds) => this.queueDuration.observe(labels, seconds),
      worked: (seconds) => this.workDuration.observe(labels, seconds),
    };
  }

  private gauge(name: string, help: string, read: (queue: WorkQueueGauges) => number): Gauge<'name'> {
    const queues = this.queues;
    return new Gauge({
      name,
      help,
      labelNames: nameLabel,
      registers: [],
      collect() {
        for (const [queueName, queue] of queues) this.set({ name: queueName }, read(queue));
      },
    });
  }
}
