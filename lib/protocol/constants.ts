// Named constants of the Aerospike wire protocol. Every value is documented in
// ../shared/docs/wire-protocol.md (sections 1-4) with the source file it comes from.

/** Proto header version byte: always 2. */
export const PROTO_VERSION = 2;
/** Size of the proto header that starts every message. */
export const PROTO_HEADER_SIZE = 8;
/** Largest body either side accepts (PROTO_SIZE_MAX). */
export const PROTO_SIZE_MAX = 128 * 1024 * 1024;

/** Proto types (byte 1 of the proto header). */
export const ProtoType = {
  INFO: 1,
  ADMIN: 2,
  MSG: 3,
  MSG_COMPRESSED: 4,
  INTERNAL_XDR: 5,
} as const;

/** Size of the AS_MSG header that follows the proto header. */
export const MSG_HEADER_SIZE = 22;

/** info1 bits. */
export const Info1 = {
  READ: 0x01,
  GET_ALL: 0x02,
  SHORT_QUERY: 0x04,
  BATCH: 0x08,
  XDR: 0x10,
  GET_NO_BINS: 0x20,
  READ_MODE_AP_ALL: 0x40,
  COMPRESS_RESPONSE: 0x80,
} as const;

/** info2 bits. */
export const Info2 = {
  WRITE: 0x01,
  DELETE: 0x02,
  GENERATION: 0x04,
  GENERATION_GT: 0x08,
  DURABLE_DELETE: 0x10,
  CREATE_ONLY: 0x20,
  RELAX_AP_LONG_QUERY: 0x40,
  RESPOND_ALL_OPS: 0x80,
} as const;

/** info3 bits. */
export const Info3 = {
  LAST: 0x01,
  COMMIT_MASTER: 0x02,
  PARTITION_DONE: 0x04,
  UPDATE_ONLY: 0x08,
  CREATE_OR_REPLACE: 0x10,
  REPLACE_ONLY: 0x20,
  SC_READ_TYPE: 0x40,
  SC_READ_RELAX: 0x80,
} as const;

/** info4 bits (transactions). */
export const Info4 = {
  MRT_VERIFY_READ: 0x01,
  MRT_ROLL_FORWARD: 0x02,
  MRT_ROLL_BACK: 0x04,
  MRT_ON_LOCKING_ONLY: 0x10,
} as const;

/** AS_MSG field types. */
export const FieldType = {
  NAMESPACE: 0,
  SET: 1,
  KEY: 2,
  RECORD_VERSION: 3,
  DIGEST: 4,
  TXN_ID: 5,
  TXN_DEADLINE: 6,
  TASK_ID: 7,
  SOCKET_TIMEOUT: 9,
  RPS: 10,
  PID_ARRAY: 11,
  DIGEST_ARRAY: 12,
  MAX_RECORDS: 13,
  BVAL_ARRAY: 15,
  INDEX_NAME: 21,
  INDEX_RANGE: 22,
  INDEX_CONTEXT: 23,
  INDEX_EXPRESSION: 24,
  INDEX_TYPE: 26,
  UDF_PACKAGE_NAME: 30,
  UDF_FUNCTION: 31,
  UDF_ARGLIST: 32,
  UDF_OP: 33,
  /** The rows of a batch-index command (lib/protocol/batch.ts). */
  BATCH_INDEX: 41,
  /** The pre-6.0 batch field (rows that all share one set). */
  BATCH_INDEX_WITH_SET: 42,
  FILTER: 43,
} as const;

/** Wire op codes. */
export const OpType = {
  READ: 1,
  WRITE: 2,
  CDT_READ: 3,
  CDT_MODIFY: 4,
  INCR: 5,
  EXP_READ: 7,
  EXP_MODIFY: 8,
  APPEND: 9,
  PREPEND: 10,
  TOUCH: 11,
  BIT_READ: 12,
  BIT_MODIFY: 13,
  DELETE: 14,
  HLL_READ: 15,
  HLL_MODIFY: 16,
} as const;

/** Particle types: the type byte carried with every bin value and user key. */
export const ParticleType = {
  NULL: 0,
  INTEGER: 1,
  FLOAT: 2,
  STRING: 3,
  BLOB: 4,
  JAVA_BLOB: 7,
  CSHARP_BLOB: 8,
  PYTHON_BLOB: 9,
  RUBY_BLOB: 10,
  PHP_BLOB: 11,
  ERLANG_BLOB: 12,
  VECTOR: 16,
  BOOL: 17,
  HLL: 18,
  MAP: 19,
  LIST: 20,
  GEOJSON: 23,
} as const;

/** Result codes by name: the table, with messages and treatment, is result-codes.ts. */
export { ResultCode } from './result-codes.js';

/** Number of partitions of every namespace. */
export const PARTITIONS = 4096;
/** Length of a record digest (RIPEMD-160). */
export const DIGEST_SIZE = 20;
/** 2010-01-01T00:00:00Z in Unix seconds: the epoch of void times. */
export const CITRUSLEAF_EPOCH = 1262304000;
/** Longest bin name the server accepts. */
export const BIN_NAME_MAX = 15;

/** Admin (security) protocol commands and fields. */
export const AdminCommand = { AUTHENTICATE: 0, CREATE_USER: 1, DROP_USER: 2, QUERY_USERS: 9, LOGIN: 20 } as const;
export const AdminField = { USER: 0, PASSWORD: 1, OLD_PASSWORD: 2, CREDENTIAL: 3, CLEAR_PASSWORD: 4, SESSION_TOKEN: 5, SESSION_TTL: 6, ROLES: 10 } as const;
/** Size of the admin header after the proto header. */
export const ADMIN_HEADER_SIZE = 16;
