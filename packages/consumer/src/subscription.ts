/**
 * What `subscribe()` takes, checked before anything changes: a list of topic names, a RegExp matched
 * here against every topic of the cluster, or a SubscriptionPattern (`{ regex }`) that the broker
 * resolves (consumer protocol only).
 */
import type { GroupProtocol } from './config.js';
import type { SubscriptionPattern } from './consumer-types.js';
import { IllegalStateError } from './errors.js';
import { checkTopicList } from './topic-validation.js';

/** A checked subscription. */
export type Subscription =
  | { readonly kind: 'topics'; readonly topics: readonly string[] }
  | { readonly kind: 'regexp'; readonly pattern: RegExp }
  | { readonly kind: 'pattern'; readonly regex: string };

/**
 * Checks what `subscribe()` was given.
 * @returns the subscription it describes.
 * @throws TypeError on a string, an empty regex or an argument of another kind; InvalidTopicError on a
 *   topic name Kafka would refuse; IllegalStateError for a SubscriptionPattern under the classic protocol.
 */
export function parseSubscription(
  topics: readonly string[] | RegExp | SubscriptionPattern,
  groupProtocol: GroupProtocol,
): Subscription {
  if (typeof topics === 'string') {
    throw new TypeError(
      `subscribe takes a list of topics, a RegExp or { regex }, not a string: write subscribe([${JSON.stringify(topics)}])`,
    );
  }
  if (Array.isArray(topics)) {
    checkTopicList(topics);
    return { kind: 'topics', topics };
  }
  if (topics instanceof RegExp) return { kind: 'regexp', pattern: topics };
  if (typeof topics !== 'object' || topics === null || !('regex' in topics)) {
    throw new TypeError('subscribe takes a list of topics, a RegExp or { regex }');
  }
  const { regex } = topics as SubscriptionPattern;
  if (typeof regex !== 'string' || regex === '') {
    throw new TypeError(`not a regular expression: ${JSON.stringify(regex)}`);
  }
  if (groupProtocol !== 'consumer') {
    throw new IllegalStateError("a SubscriptionPattern needs groupProtocol 'consumer'; use a RegExp");
  }
  return { kind: 'pattern', regex };
}
