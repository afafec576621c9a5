/**
 * The one loop that lists every topic of the cluster for a subscription by pattern: at once, then
 * every `metadataMaxAgeMs` so that new matching topics join (Java re-evaluates its pattern on each
 * metadata refresh), and again soon after a failed listing. A RegExp subscription is matched against
 * each listing in the consumer; a broker-side regex the member must resolve itself (brokers without
 * ConsumerGroupHeartbeat v1) is matched in the member. Either way each listing goes to `onListing`.
 */
import type { TopicIdAndName } from '@runnel/group';
import { failure, RateLimitedLog, type TimerHandle } from '@runnel/network';
import type { ClientContext } from './context.js';
import { listTopics } from './topic-listing.js';

/** The shortest wait before listing again after a failure. */
const MIN_RETRY_MS = 100;

export class TopicListingLoop {
  private timer: TimerHandle | undefined;
  private listing = false;
  private stopped = false;
  private readonly warnings: RateLimitedLog;

  /** @param onListing called with every topic of each listing that succeeds, while the loop runs. */
  constructor(
    private readonly context: ClientContext,
    private readonly onListing: (topics: readonly TopicIdAndName[]) => void,
  ) {
    this.warnings = new RateLimitedLog(context.config.logger, () => context.clock.now());
  }

  /** Lists now, then every `metadataMaxAgeMs`. */
  start(): void {
    this.schedule(0);
  }

  /** Lists again as soon as no listing is under way (the member names a topic it cannot resolve). */
  listSoon(): void {
    if (!this.listing) this.schedule(0);
  }

  /** Stops for good: no listing starts, and one under way is not handed on. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private schedule(ms: number): void {
    this.clearTimer();
    if (this.stopped) return;
    this.timer = this.context.clock.setTimeout(() => {
      this.timer = undefined;
      this.list();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.context.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private list(): void {
    if (this.listing || this.stopped) return;
    this.listing = true;
    const { config } = this.context;
    listTopics(this.context.client).then(
      (topics) => {
        this.listing = false;
        if (this.stopped) return;
        this.warnings.reset('listing');
        this.schedule(config.metadataMaxAgeMs);
        this.onListing(topics);
      },
      (error: unknown) => {
        this.listing = false;
        this.warnings.warn(
          'listing',
          failure('pattern_listing_failed', error),
          'listing topics for the subscription pattern failed',
        );
        this.schedule(Math.max(MIN_RETRY_MS, config.retryBackoffMs));
      },
    );
  }
}
