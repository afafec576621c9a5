/** Runnel's group description in KafkaJS's shape. */
import type { GroupDescription as RunnelGroupDescription } from '@runnel/consumer';
import type { ConsumerGroupState, GroupDescription } from './types.js';

const KAFKAJS_STATES: readonly string[] = [
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
  'Empty',
];

/**
 * @returns the description with KafkaJS's fields. `memberAssignment` and `memberMetadata` are empty
 *   Buffers: KafkaJS hands out the raw bytes, which programs decode with its AssignerProtocol (not offered here).
 */
export function describeForKafkaJS(description: RunnelGroupDescription): GroupDescription {
  const state = KAFKAJS_STATES.includes(description.groupState) ? description.groupState : 'Unknown';
  return {
    groupId: description.groupId,
    members: description.members.map((m) => ({
      clientHost: m.clientHost,
      clientId: m.clientId,
      memberId: m.memberId,
      memberAssignment: Buffer.alloc(0),
      memberMetadata: Buffer.alloc(0),
    })),
    protocol: description.assignorName,
    protocolType: 'consumer',
    state: state as ConsumerGroupState,
  };
}
