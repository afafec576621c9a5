/**
 * The delivery invariants, in the words of Kafka's system tests (verifiable_consumer.py and
 * consumer_test.py), each with the name a violation carries.
 */
export const RULES = {
  'consumed-unassigned':
    'records are consumed only from partitions assigned to the member, while it is in the group',
  'replay-in-tenure':
    'no record is consumed twice within one tenure (assignment to revocation) of a partition',
  'gap-in-tenure': 'no acknowledged record is skipped within one tenure of a partition',
  'stale-after-seek':
    'the first batch after a seek (or a reported log truncation) starts at that offset, never at a buffered one',
  'commit-unassigned': 'a member commits offsets only for partitions it owns',
  'commit-past-position':
    'a committed offset is never past the position of the member that commits it (over records not consumed yet)',
  'replay-below-commit':
    "after a handoff the new owner's first record is at or after the group's last committed offset",
  'skip-at-handoff':
    "after a handoff no acknowledged record between the last commit and the new owner's first record is skipped",
  'replay-after-clean-stop':
    'after a clean stop or revocation the next owner starts exactly at the old position: no duplicates',
  lost: 'every acknowledged record is consumed',
} as const;

/** The name of one delivery invariant. */
export type Rule = keyof typeof RULES;
