import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../lib/errors.js';
import {
  intRange, oneOf, parseBase64, parseDigest, parseHostList, parseLocalDateTime, parseNameList, parseNamespaceMapping,
  parseNodeList, parseNumber, parsePartitionList, parsePercent, parsePort, parsePriority, parseRestoreNice, setList, binList,
} from '../../lib/cli/parse-values.js';

/** Asserts a UsageError whose message contains every fragment. */
function rejects(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
    assert.equal(e.code, 'USAGE', `code of ${JSON.stringify(e.message)}`);
    // The fragments are the thing at fault the line must name: the option, the file, the value.
    for (const f of fragments) assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
    return true;
  });
}

test('parseHostList: accepted forms', () => {
  const cases: [string, number, unknown][] = [
    ['1.2.3.4', 3000, [{ host: '1.2.3.4', port: 3000 }]],
    ['1.2.3.4:3100', 3000, [{ host: '1.2.3.4', port: 3100 }]],
    ['db.example.com', 4000, [{ host: 'db.example.com', port: 4000 }]],
    ['h1:cert1', 3000, [{ host: 'h1', port: 3000, tlsName: 'cert1' }]],
    ['1.2.3.4:cert1:3000,5.6.7.8:cert2:4333', 1, [{ host: '1.2.3.4', port: 3000, tlsName: 'cert1' }, { host: '5.6.7.8', port: 4333, tlsName: 'cert2' }]],
    ['[::1]', 3000, [{ host: '::1', port: 3000 }]],
    ['[::1]:3001', 3000, [{ host: '::1', port: 3001 }]],
    ['[::1]:tls:3002', 3000, [{ host: '::1', port: 3002, tlsName: 'tls' }]],
    ['[fe80::1%eth0]:3000', 3000, [{ host: 'fe80::1%eth0', port: 3000 }]],
    ['a, b:3001', 3000, [{ host: 'a', port: 3000 }, { host: 'b', port: 3001 }]],
  ];
  for (const [text, port, want] of cases) assert.deepEqual(parseHostList(text, port), want, text);
});

test('parseHostList: rejected forms name the option and the form', () => {
  const cases: [string, string][] = [
    ['', 'empty value'],
    ['h:0', 'bad port'],
    ['h:70000', 'bad port'],
    ['h:tls:x', 'bad port'],
    ['::1', 'brackets'],
    ['[::1', 'missing "]"'],
    ['[::1]x', 'after "]"'],
    ['[zz]:3000', 'IPv6'],
    ['a,,b', 'empty host'],
    ['h:', 'empty field'],
    ['h:a:1:2', 'too many'], ['fe80::1', 'brackets'], ['a:b:c:d:e', 'brackets'],
    [':3000', 'empty host'],
  ];
  for (const [text, why] of cases) rejects(() => parseHostList(text, 3000), '--host', why, 'host[:tlsname][:port]');
});

test('parseNodeList: port is required; , and ; separate', () => {
  assert.deepEqual(parseNodeList('1.2.3.4:3000;5.6.7.8:t1:3000'), [
    { host: '1.2.3.4', port: 3000 },
    { host: '5.6.7.8', port: 3000, tlsName: 't1' },
  ]);
  assert.deepEqual(parseNodeList('[::1]:3000'), [{ host: '::1', port: 3000 }]);
  for (const bad of ['1.2.3.4', '1.2.3.4:tls', '', '[::1]']) rejects(() => parseNodeList(bad), '--node-list', 'addr[:tlsname]:port');
});

test('parseLocalDateTime: local time, strict form', () => {
  const d = parseLocalDateTime('2024-02-29_13:14:15', '-a');
  assert.deepEqual([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()], [2024, 1, 29, 13, 14, 15]);
  assert.equal(d.getTime(), new Date(2024, 1, 29, 13, 14, 15).getTime());
  const bad = ['2024-02-30_00:00:00', '2023-02-29_00:00:00', '2024-13-01_00:00:00', '2024-01-01_24:00:00', '2024-01-01_00:60:00',
    '2024-01-01', '00:00:00', '2024-01-01 00:00:00', '2024-1-1_0:0:0', '2024-01-01T00:00:00', ''];
  for (const b of bad) rejects(() => parseLocalDateTime(b, '--modified-after'), '--modified-after', 'expected YYYY-MM-DD_HH:MM:SS');
});

test('numbers, ranges, percent, priority, choices', () => {
  assert.equal(parseNumber('12.5', '--x'), 12.5);
  for (const b of ['x', '', ' 1', '0x10', '1e', '1,5']) rejects(() => parseNumber(b, '--port'), '--port: expected a number, got');
  assert.equal(parsePort(3000, '--port'), 3000);
  assert.equal(parsePort('65535', '--port'), 65535);
  for (const b of [0, 65536, 1.5, '12a']) rejects(() => parsePort(b, '--port'), '--port', '1..65535');
  assert.equal(intRange(1)(7, '-F'), 7);
  rejects(() => intRange(1)(0, '--file-limit'), '--file-limit', '>= 1');
  for (const [v, want] of [[1, 1], ['100', 100], [0.5, 0.5], ['12.5', 12.5]] as const) assert.equal(parsePercent(v, '-%'), want);
  for (const b of [0, -1, 100.01, 101, 'x', '']) rejects(() => parsePercent(b, '--percent'), '--percent', 'percentage');
  for (const p of [0, 1, 2, 3]) assert.equal(parsePriority(p, '-f'), p);
  for (const b of [-1, 4, 1.5]) rejects(() => parsePriority(b, '--priority'), '--priority', '0..3');
  assert.equal(oneOf('INTERNAL', 'PKI')('pki', '--auth'), 'PKI');
  rejects(() => oneOf('INTERNAL', 'PKI')('LDAP', '--auth'), '--auth', 'INTERNAL, PKI');
});

test('name lists: C quoting rules', () => {
  const cases: [string, string[]][] = [
    ['a', ['a']],
    ['a,b', ['a', 'b']],
    ["'a,b'", ['a,b']],
    ["'a,b',c", ['a,b', 'c']],
    ['"x y",\'q"r\'', ['x y', 'q"r']],
    ['c,"a,b"', ['c', 'a,b']],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseNameList(text, '--set'), want, text);
  for (const [bad, why] of [['', 'empty name'], ['a,', 'empty name'], [',a', 'empty name'], ["'a", 'unterminated'], ["'a'b", 'after a quoted'], ["''", 'empty name']]) {
    rejects(() => parseNameList(bad, '--set'), '--set', why);
  }
  rejects(() => setList('s'.repeat(64), '--set'), '--set', '63 bytes');
  assert.deepEqual(binList('b'.repeat(15), '-B'), ['b'.repeat(15)]);
  rejects(() => binList('b'.repeat(16), '--bin-list'), '--bin-list', '15 bytes');
});

test('asrestore -n and -N', () => {
  assert.deepEqual(parseNamespaceMapping('test', '-n'), { source: 'test', target: 'test' });
  assert.deepEqual(parseNamespaceMapping('src,dst', '-n'), { source: 'src', target: 'dst' });
  for (const bad of ['a,b,c', '', 'a,', 'n'.repeat(32)]) rejects(() => parseNamespaceMapping(bad, '--namespace'), '--namespace');
  assert.deepEqual(parseRestoreNice('10,500', '-N'), { bandwidth: 10, tps: 500 });
  for (const bad of ['10', '10,', 'a,1', '1,2,3', '-1,5']) rejects(() => parseRestoreNice(bad, '--nice'), '--nice', '<MiB/s>,<TPS>');
});

test('partition lists and digests', () => {
  const digest = Buffer.alloc(20, 7).toString('base64');
  assert.deepEqual(parsePartitionList('0-1024,2000,4095', '-X'), [{ begin: 0, count: 1024 }, { begin: 2000, count: 1 }, { begin: 4095, count: 1 }]);
  assert.deepEqual(parsePartitionList(digest, '-X'), [{ digest: Buffer.alloc(20, 7) }]);
  const bad: [string, string][] = [['4096', 'bad range'], ['0-0', 'bad range'], ['4000-97', 'bad range'], ['0-10,5', 'overlap'], ['1-2-3', 'bad item'], ['', 'bad item'], ['abc', 'digest']];
  for (const [b, why] of bad) rejects(() => parsePartitionList(b, '--partition-list'), '--partition-list', why);
  assert.deepEqual(parseDigest(digest, '--after-digest'), Buffer.alloc(20, 7));
  for (const b of ['', 'AAAA', Buffer.alloc(21).toString('base64'), '!!!']) rejects(() => parseDigest(b, '--after-digest'), '--after-digest', '20-byte digest');
  assert.equal(parseBase64('kwGTUQGo', '--filter-exp'), 'kwGTUQGo');
  rejects(() => parseBase64('not base64!', '--filter-exp'), '--filter-exp', 'base64');
});
