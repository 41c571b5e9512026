// The `peers-clear-std` value: `<gen>,<default port or empty>,[[<NODE-ID>,<tls-name>,[<host>[:<port>],...]],...]`.
import { ProtocolError } from '../errors.js';

/** A peer node as another node describes it. */
export interface Peer {
  name: string;
  tlsName: string;
  hosts: Array<{ host: string; port: number }>;
}

/** parsePeers: generation and peers; a malformed value throws a ProtocolError. */
export function parsePeers(value: string): { generation: number; peers: Peer[] } {
  let at = 0;
  const fail = (): never => {
    throw new ProtocolError(`bad peers value ${JSON.stringify(value.slice(0, 80))}`);
  };
  const until = (stop: string): string => {
    let end = at;
    while (end < value.length && !stop.includes(value[end]!)) end++;
    const s = value.slice(at, end);
    at = end;
    return s;
  };
  const expect = (ch: string): void => {
    if (value[at] !== ch) fail();
    at++;
  };
  const generation = Number(until(','));
  expect(',');
  const portText = until(',');
  expect(',');
  const defaultPort = portText === '' ? 3000 : Number(portText);
  if (!Number.isInteger(generation) || !Number.isInteger(defaultPort)) fail();
  const peers: Peer[] = [];
  expect('[');
  while (value[at] === '[') {
    at++;
    const name = until(',');
    expect(',');
    const tlsName = until(',');
    expect(',');
    expect('[');
    const hosts: Peer['hosts'] = [];
    while (value[at] !== ']') {
      let host: string;
      if (value[at] === '[') {
        at++;
        host = until(']');
        expect(']');
      } else {
        host = until(':,]');
      }
      let port = defaultPort;
      if (value[at] === ':') {
        at++;
        port = Number(until(',]'));
        if (!Number.isInteger(port)) fail();
      }
      if (host === '') fail();
      hosts.push({ host, port });
      if (value[at] === ',') at++;
      else if (value[at] !== ']') fail();
    }
    expect(']');
    expect(']');
    peers.push({ name, tlsName, hosts });
    if (value[at] === ',') at++;
  }
  expect(']');
  return { generation, peers };
}
