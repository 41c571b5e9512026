// Short, actionable texts for the errors node:tls raises during a handshake, so a failed
// TLS connection ends in one line that says why (instead of an OpenSSL source location).

const VERIFY_TEXT: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'server certificate not trusted (self-signed certificate in the chain; wrong --tls-cafile/--tls-capath?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'server certificate not trusted (self-signed certificate)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'server certificate not trusted (issuer unknown; wrong --tls-cafile/--tls-capath?)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'server certificate not trusted (issuer unknown; wrong --tls-cafile/--tls-capath?)',
  UNABLE_TO_GET_ISSUER_CERT: 'server certificate not trusted (issuer unknown)',
  CERT_SIGNATURE_FAILURE: 'server certificate not trusted (bad signature)',
  CERT_HAS_EXPIRED: 'server certificate has expired',
  CERT_NOT_YET_VALID: 'server certificate is not yet valid',
  CERT_REVOKED: 'server certificate is revoked (CRL)',
  UNABLE_TO_GET_CRL: 'no CRL for the server certificate\'s issuer in --tls-capath',
  CRL_HAS_EXPIRED: 'the CRL of the server certificate\'s issuer has expired',
  CRL_NOT_YET_VALID: 'the CRL of the server certificate\'s issuer is not yet valid',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'no TLS protocol version in common with the server (see --tls-protocols)',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'no TLS protocol version in common with the server (see --tls-protocols)',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'no TLS protocol version in common with the server (see --tls-protocols)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed: the server does not speak TLS on this port',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'TLS handshake failed: the server does not speak TLS on this port',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'TLS handshake failed (no cipher or protocol in common?)',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a client certificate (--tls-certfile, --tls-keyfile)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server rejected the client certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust the client certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'the server says the client certificate is revoked',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the server says the client certificate has expired',
};

/** tlsErrorText: a short text for a TLS error, or undefined when `e` is no TLS error. */
export function tlsErrorText(e: unknown): string | undefined {
  const err = e as (NodeJS.ErrnoException & { reason?: string }) | undefined;
  const code = err?.code;
  if (code === undefined) return undefined;
  const text = VERIFY_TEXT[code];
  if (text !== undefined) return text;
  if (code.startsWith('ERR_SSL_')) return `TLS handshake failed: ${err?.reason ?? code.slice(8).toLowerCase().replace(/_/g, ' ')}`;
  return undefined;
}
