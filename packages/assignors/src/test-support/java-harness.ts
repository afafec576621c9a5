/** Java's assignors, the reference of the conformance tests: run through @runnel/kafka-local. */
export { type JavaAssignorResult as JavaResult, runJavaAssignors } from '@runnel/kafka-local';
