/**
 * A test-only driver that runs a @runnel/group member by itself against a real cluster through
 * @runnel/network's `ClusterClient` (here in the consumer's tests, so that the sans-I/O group package
 * needs no network at all, not even to test). It sends each request to
 * its target at the highest version both sides support, feeds back the answers (and, for a KIP-848
 * member, the topic ids it cannot name yet), and plays a consumer that handles every event at once.
 */

import {
  type GroupEvent,
  type GroupMember,
  MEMBER_API_DEFINITIONS,
  type MemberRequest,
  type ResponseTo,
  type TopicIdAndName,
} from '@runnel/group';
import { ClusterClient, type KafkaApi } from '@runnel/network';
import { Metadata, partitionKey, type TopicPartition, UnsupportedVersionError } from '@runnel/protocol';

/** A member's request to send, as one of the cluster client's: versions from its range, no retries. */
function clusterRequest(request: MemberRequest) {
  const api = MEMBER_API_DEFINITIONS[request.api] as KafkaApi<unknown, unknown>;
  return {
    target:
      request.target.kind === 'any'
        ? ({ kind: 'any' } as const)
        : ({ kind: 'broker', nodeId: request.target.node.nodeId } as const),
    api,
    purpose: 'group',
    // The member retries on its own schedule; a second attempt here would blur what it sees.
    retry: false,
    timeoutMs: request.timeoutMs,
    maxVersion: request.maxVersion,
    message: (version: number) => {
      if (version < request.minVersion) {
        // The client picked the highest version the broker has, so the broker stops at `version`; its
        // oldest one is not known here, and 0 stands for it.
        throw new UnsupportedVersionError(
          api.apiKey,
          api.name,
          { minVersion: 0, maxVersion: version },
          { minVersion: request.minVersion, maxVersion: request.maxVersion },
        );
      }
      return request.bodyAt(version);
    },
  };
}

/** One cluster client per member, as each consumer has its own. */
export class GroupTestClient {
  private readonly client: ClusterClient;

  constructor(bootstrapServers: string) {
    this.client = new ClusterClient({ bootstrapServers });
  }

  /**
   * Sends a member's request at the best common version of its range.
   * @returns the decoded response. @throws what `ClusterClient.send` throws, or UnsupportedVersionError.
   */
  send<R extends MemberRequest>(request: R): Promise<ResponseTo<R>> {
    return this.client.send(clusterRequest(request)) as Promise<ResponseTo<R>>;
  }

  /** @returns every topic of the cluster with its id (Metadata v10+). @throws what the client throws. */
  async topics(): Promise<TopicIdAndName[]> {
    const r = await this.client.send({
      target: { kind: 'any' },
      api: Metadata,
      minVersion: 10,
      message: { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
    });
    return r.topics.flatMap((t) =>
      t.name !== null && t.topicId !== undefined
        ? [{ topicId: t.topicId, name: t.name, isInternal: t.isInternal ?? false }]
        : [],
    );
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.client.close();
  }
}

/**
 * Runs one member: polls it, sends its requests, feeds back responses and metadata, and plays a
 * consumer that acknowledges every event at once (tracking what it owns) and polls often enough.
 */
export class MemberRunner<M extends GroupMember> {
  /** The partitions the simulated consumer owns, from the events it handled. */
  owned: TopicPartition[] = [];
  readonly log: string[] = [];
  /** Every revocation the member asked for, in order. */
  readonly revocations: TopicPartition[][] = [];
  private stopped = false;
  private metadataInFlight = false;
  private wake: (() => void) | null = null;
  private readonly loop: Promise<void>;

  /**
   * Runs `member`. Like the consumer's driver, it lists the cluster's topics first for a member that
   * names assigned topics by id (a regular expression may have to be matched on the client, against
   * Kafka 3.9), and again whenever `poll` reports ids it cannot name or asks for the topic list.
   */
  constructor(
    readonly name: string,
    readonly member: M,
    private readonly client: GroupTestClient,
  ) {
    this.loop = this.start();
  }

  private async start(): Promise<void> {
    if (this.member.assignsByTopicId) {
      const topics = await this.client.topics().catch(() => null);
      if (topics !== null && !this.stopped) this.member.onMetadata(topics);
    }
    await this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now();
      this.member.recordPoll(now);
      const { requests, events, nextPollAt, unresolvedTopicIds, topicListWanted } = this.member.poll(now);
      for (const e of events) this.handle(e);
      for (const r of requests) {
        this.client.send(r).then(
          (response) => this.deliver(() => this.member.onResponse(r, response, Date.now())),
          (error: Error) => this.deliver(() => this.member.onResponse(r, error, Date.now())),
        );
      }
      if ((unresolvedTopicIds.length > 0 || topicListWanted) && !this.metadataInFlight) this.fetchTopics();
      if (events.length > 0) continue;
      const wait = Math.max(0, Math.min(nextPollAt - Date.now(), 200));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private handle(e: GroupEvent): void {
    this.log.push(
      e.type === 'error' || e.type === 'fatal'
        ? `${e.type}: ${e.error.message}`
        : `${e.type} ${JSON.stringify(e.partitions)}`,
    );
    switch (e.type) {
      case 'partitionsAssigned':
        this.owned = [...e.assignment].sort((a, b) =>
          a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
        );
        break;
      case 'partitionsRevoked': {
        this.revocations.push([...e.partitions]);
        const gone = new Set(e.partitions.map((p) => partitionKey(p.topic, p.partition)));
        this.owned = this.owned.filter((p) => !gone.has(partitionKey(p.topic, p.partition)));
        break;
      }
      case 'partitionsLost':
        this.owned = [];
        break;
    }
    if ('id' in e) this.member.acknowledge(e.id, Date.now());
  }

  private fetchTopics(): void {
    this.metadataInFlight = true;
    this.client.topics().then(
      (topics) => {
        this.metadataInFlight = false;
        this.deliver(() => this.member.onMetadata(topics));
      },
      () => {
        this.metadataInFlight = false;
      },
    );
  }

  private deliver(input: () => void): void {
    if (this.stopped) return;
    input();
    this.wake?.();
  }

  /** Leaves the group and waits until the member is out of it, then stops driving it. */
  async leave(timeoutMs = 30_000): Promise<void> {
    this.member.leaveGroup(Date.now());
    this.wake?.();
    const deadline = Date.now() + timeoutMs;
    while (!this.member.isOutOfGroup || this.member.fatalError !== null) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not leave: ${this.member.state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
  }

  /** Stops driving the member (without leaving). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }
}

/** The runners of one test and their clients (one each, as each consumer has its own). */
export class MemberRunners<M extends GroupMember> {
  private readonly runners: MemberRunner<M>[] = [];
  private readonly clients: GroupTestClient[] = [];

  constructor(private readonly bootstrapServers: () => string) {}

  /** Starts running `member` (subscribed already) through a cluster client of its own. */
  start(name: string, member: M): MemberRunner<M> {
    const client = new GroupTestClient(this.bootstrapServers());
    this.clients.push(client);
    const runner = new MemberRunner(name, member, client);
    this.runners.push(runner);
    return runner;
  }

  /** Stops every runner (without leaving) and closes the clients. */
  async stopAll(): Promise<void> {
    await Promise.all(this.runners.splice(0).map((r) => r.stop()));
    await Promise.all(this.clients.splice(0).map((c) => c.close()));
  }
}

/**
 * Waits until every runner is STABLE, together they own each of the `partitions` partitions of
 * `topic` exactly once, and `also` holds.
 * @throws Error listing each runner's state, epoch, partitions and last log lines after `timeoutMs`.
 */
export async function waitForBalancedGroup<M extends GroupMember>(
  members: readonly MemberRunner<M>[],
  topic: string,
  partitions: number,
  options: { readonly timeoutMs: number; readonly also?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const owned = members.flatMap((m) => m.owned);
    const keys = new Set(owned.map((p) => partitionKey(p.topic, p.partition)));
    const balanced =
      members.every((m) => m.member.state === 'STABLE') &&
      owned.length === partitions &&
      keys.size === partitions &&
      owned.every((p) => p.topic === topic) &&
      (options.also?.() ?? true);
    if (balanced) return;
    if (Date.now() > deadline) {
      const report = members.map(
        (m) =>
          `${m.name}: ${m.member.state} epoch ${m.member.memberEpoch} owns ${JSON.stringify(m.owned)}\n  ${m.log.slice(-8).join('\n  ')}`,
      );
      throw new Error(`group did not balance:\n${report.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
