// The server's result codes (wire-protocol.md "result codes"; C as_status.h): one table with
// the constant each goes by, the words a user reads, and how our tools treat it. Codes not
// in the table are shown as "result code N" and treated as neither transient nor per record.

/** What the tools know about one result code. */
export interface ResultCodeInfo {
  code: number;
  /** What a message says, e.g. "key busy". */
  message: string;
  /** Concerns one record only: a restore may skip it with --ignore-record-error. */
  record?: true;
  /** The same command may succeed soon: writes and scans send it again after a pause. */
  transient?: true;
  /** The cluster was changing under a scan: the partitions are scanned again next round. */
  scanRetry?: true;
}

/** The table: constant name -> code, message, treatment. */
export const RESULT_CODES = {
  OK: { code: 0, message: 'OK' },
  SERVER_ERROR: { code: 1, message: 'server error' },
  KEY_NOT_FOUND: { code: 2, message: 'key not found' },
  GENERATION: { code: 3, message: 'generation error' },
  PARAMETER: { code: 4, message: 'parameter error', record: true },
  KEY_EXISTS: { code: 5, message: 'key exists', record: true },
  BIN_EXISTS: { code: 6, message: 'bin exists' },
  CLUSTER_KEY_MISMATCH: { code: 7, message: 'cluster key mismatch', scanRetry: true },
  OUT_OF_SPACE: { code: 8, message: 'server out of space' },
  TIMEOUT: { code: 9, message: 'timeout', transient: true },
  UNAVAILABLE: { code: 11, message: 'partition unavailable', transient: true },
  INCOMPATIBLE_TYPE: { code: 12, message: 'incompatible type', record: true },
  RECORD_TOO_BIG: { code: 13, message: 'record too big', record: true },
  KEY_BUSY: { code: 14, message: 'key busy', transient: true },
  SCAN_ABORT: { code: 15, message: 'scan aborted', scanRetry: true },
  UNSUPPORTED_FEATURE: { code: 16, message: 'unsupported feature' },
  BIN_NOT_FOUND: { code: 17, message: 'bin not found', record: true },
  DEVICE_OVERLOAD: { code: 18, message: 'device overload', transient: true },
  KEY_MISMATCH: { code: 19, message: 'key mismatch', record: true },
  NAMESPACE_NOT_FOUND: { code: 20, message: 'namespace not found' },
  BIN_NAME: { code: 21, message: 'bin name too long', record: true },
  FORBIDDEN: { code: 22, message: 'forbidden', record: true },
  ENTERPRISE_ONLY: { code: 25, message: 'enterprise only' },
  FILTERED_OUT: { code: 27, message: 'filtered out' },
  SECURITY_NOT_SUPPORTED: { code: 51, message: 'security not supported' },
  SECURITY_NOT_ENABLED: { code: 52, message: 'security not enabled' },
  INVALID_USER: { code: 60, message: 'invalid user' },
  INVALID_PASSWORD: { code: 62, message: 'invalid password' },
  EXPIRED_PASSWORD: { code: 63, message: 'expired password' },
  INVALID_CREDENTIAL: { code: 65, message: 'invalid credential' },
  EXPIRED_SESSION: { code: 66, message: 'expired session' },
  NOT_AUTHENTICATED: { code: 80, message: 'not authenticated' },
  ROLE_VIOLATION: { code: 81, message: 'role violation' },
  UDF: { code: 100, message: 'UDF error' },
  BATCH_DISABLED: { code: 150, message: 'batch functionality disabled' },
  BATCH_MAX_REQUESTS: { code: 151, message: 'batch max requests exceeded' },
  BATCH_QUEUES_FULL: { code: 152, message: 'batch queues full', transient: true },
  GEO_INVALID_GEOJSON: { code: 160, message: 'invalid GeoJSON', record: true },
  INDEX_FOUND: { code: 200, message: 'index already exists' },
  INDEX_NOT_FOUND: { code: 201, message: 'index not found', scanRetry: true },
  INDEX_NOT_READABLE: { code: 203, message: 'index not readable', scanRetry: true },
} as const satisfies Record<string, ResultCodeInfo>;

/** The codes by constant name, e.g. ResultCode.KEY_BUSY === 14. */
export const ResultCode = Object.fromEntries(Object.entries(RESULT_CODES).map(([name, r]) => [name, r.code])) as {
  readonly [K in keyof typeof RESULT_CODES]: (typeof RESULT_CODES)[K]['code'];
};

// Result codes are one byte on the wire: lookups by code are array reads.
const MESSAGES: string[] = [];
const RECORD = 1;
const TRANSIENT = 2;
const SCAN_RETRY = 4;
const FLAGS = new Uint8Array(256);
for (const r of Object.values(RESULT_CODES) as ResultCodeInfo[]) {
  MESSAGES[r.code] = r.message;
  FLAGS[r.code] = (r.record ? RECORD : 0) | (r.transient ? TRANSIENT : 0) | (r.scanRetry ? SCAN_RETRY : 0);
}

/** resultName: the words for a result code, as messages show them ("key busy", or "result code 77"). */
export function resultName(code: number): string {
  return MESSAGES[code] ?? `result code ${code}`;
}

/** isRecordError: the code concerns one record only (a restore may skip it with --ignore-record-error). */
export function isRecordError(code: number): boolean {
  return ((FLAGS[code] ?? 0) & RECORD) !== 0;
}

/** isTransient: the same command may succeed soon (writes and scans send it again after a pause). */
export function isTransient(code: number): boolean {
  return ((FLAGS[code] ?? 0) & TRANSIENT) !== 0;
}

/** isScanRetryable: a scan rescans the partitions in its next round (transient, or the cluster was changing). */
export function isScanRetryable(code: number): boolean {
  return ((FLAGS[code] ?? 0) & (TRANSIENT | SCAN_RETRY)) !== 0;
}
