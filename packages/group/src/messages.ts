/**
 * The request and response bodies the group member builds and reads: @runnel/protocol's generated
 * types, re-exported so that the rest of this package names them in one place.
 */
export type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupRequestProtocol,
  JoinGroupResponse,
  JoinGroupResponseMember,
  LeaveGroupRequest,
  LeaveGroupResponse,
  MemberIdentity,
  MetadataRequest,
  MetadataResponse,
  SyncGroupRequest,
  SyncGroupRequestAssignment,
  SyncGroupResponse,
} from '@runnel/protocol';
