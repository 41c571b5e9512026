// Result code names, for messages a user can act on.
const NAMES: Record<number, string> = {
  0: 'OK', 1: 'server error', 2: 'key not found', 3: 'generation error', 4: 'parameter error',
  5: 'key exists', 6: 'bin exists', 7: 'cluster key mismatch', 8: 'server out of space', 9: 'timeout',
  11: 'partition unavailable', 12: 'incompatible type', 13: 'record too big', 14: 'key busy',
  15: 'scan aborted', 16: 'unsupported feature', 17: 'bin not found', 18: 'device overload',
  19: 'key mismatch', 20: 'namespace not found', 21: 'bin name too long', 22: 'forbidden',
  25: 'enterprise only', 27: 'filtered out', 51: 'security not supported', 52: 'security not enabled',
  60: 'invalid user', 62: 'invalid password', 63: 'expired password', 65: 'invalid credential',
  66: 'expired session', 80: 'not authenticated', 81: 'role violation', 100: 'UDF error',
  200: 'index already exists', 201: 'index not found',
};

/** resultName: a short name for a result code. */
export function resultName(code: number): string {
  return NAMES[code] ?? `result code ${code}`;
}
