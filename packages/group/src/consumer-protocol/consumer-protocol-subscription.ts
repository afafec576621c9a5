/**
 * What a consumer-protocol member subscribes to, and where a regular expression is resolved: by the
 * broker (ConsumerGroupHeartbeat v1+), or here against the topic list metadata supplies, when the
 * broker has only v0. `regexResolution` is that one explicit sub-state, orthogonal to membership.
 */
import { GroupConfigError } from '../errors.js';
import type { TopicIdAndName } from '../topic-partitions.js';

/** What the member subscribes to. */
export type ConsumerProtocolSubscription =
  | { readonly kind: 'topics'; readonly topics: readonly string[] }
  | { readonly kind: 'pattern'; readonly regex: string };

/**
 * @returns a matcher of whole topic names, as RE2/J's `matches()` on the broker.
 * @throws GroupConfigError when `regex` is not a valid JavaScript regular expression.
 */
export function compileClientRegex(regex: string): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`);
  } catch (cause) {
    throw new GroupConfigError(
      `invalid subscription regular expression ${JSON.stringify(regex)}: ${String(cause)}`,
    );
  }
}

/** A member's subscription and the topic list a client-side regular expression matches against. */
export class SubscriptionState {
  subscription: ConsumerProtocolSubscription | null = null;
  /** Where a regular expression is resolved: by the broker (v1+), or here when the broker has only v0. */
  regexResolution: 'broker' | 'client' = 'broker';
  /** The cluster's topics, from the last `onMetadata`; null before the first. */
  clusterTopics: readonly TopicIdAndName[] | null = null;
  private compiled: { readonly source: string; readonly matcher: RegExp } | null = null;

  /** @returns the topic names to send: the subscribed ones, or the client-side matches (sorted). */
  topicNames(): string[] {
    const sub = this.subscription;
    if (sub === null) return [];
    if (sub.kind === 'topics') return [...sub.topics];
    const matcher = this.clientRegex();
    if (matcher === null) return [];
    return (this.clusterTopics ?? [])
      .filter((t) => !t.isInternal && matcher.test(t.name))
      .map((t) => t.name)
      .sort();
  }

  /** @returns the regular expression the broker resolves, or null when there is none. */
  brokerRegex(): string | null {
    const sub = this.subscription;
    return sub !== null && sub.kind === 'pattern' && this.regexResolution === 'broker' ? sub.regex : null;
  }

  /** @returns the matcher of a regular expression resolved here, or null when the broker resolves it. */
  clientRegex(): RegExp | null {
    const sub = this.subscription;
    if (sub === null || sub.kind !== 'pattern' || this.regexResolution !== 'client') return null;
    if (this.compiled?.source !== sub.regex) {
      this.compiled = { source: sub.regex, matcher: compileClientRegex(sub.regex) };
    }
    return this.compiled.matcher;
  }

  /** @returns whether a regular expression is resolved here and matches no topic of the list. */
  matchesNothingHere(): boolean {
    return this.clientRegex() !== null && this.topicNames().length === 0;
  }

  /** @returns whether the member needs the cluster's topic list and has none yet. */
  get topicListWanted(): boolean {
    return this.clientRegex() !== null && this.clusterTopics === null;
  }
}
