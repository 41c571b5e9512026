// Info value grammars and host lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReplicas, hasPartition } from '../../lib/cluster/partitions.js';
import { parsePeers } from '../../lib/cluster/peers.js';
import { parseSindexList } from '../../lib/cluster/metadata.js';

const ALL = '////'.repeat(170) + '//8=';

test('replicas: namespaces, regime, maps (MSB first)', () => {
  const half = Buffer.alloc(512);
  half[0] = 0x80; // partition 0 only
  const r = parseReplicas(`test:0,1,${ALL};bar:0,2,${half.toString('base64')},${ALL}`);
  assert.deepEqual(r.map((e) => [e.namespace, e.regime, e.maps.length]), [['test', 0, 1], ['bar', 0, 2]]);
  assert.ok(hasPartition(r[1]!.maps[0]!, 0));
  assert.ok(!hasPartition(r[1]!.maps[0]!, 1));
  assert.ok(hasPartition(r[0]!.maps[0]!, 4095));
  assert.throws(() => parseReplicas('test:0,1,AAAA'));
  assert.deepEqual(parseReplicas(''), []);
});

test('peers grammar', () => {
  assert.deepEqual(parsePeers('0,3000,[]'), { generation: 0, peers: [] });
  const p = parsePeers('7,3000,[[BB9000000000002,,[127.0.0.1:3101]],[BB9000000000003,tls1,[10.0.0.3,[::1]:4000]]]');
  assert.equal(p.generation, 7);
  assert.deepEqual(p.peers, [
    { name: 'BB9000000000002', tlsName: '', hosts: [{ host: '127.0.0.1', port: 3101 }] },
    { name: 'BB9000000000003', tlsName: 'tls1', hosts: [{ host: '10.0.0.3', port: 3000 }, { host: '::1', port: 4000 }] },
  ]);
  assert.deepEqual(parsePeers('1,,[[A,,[h]]]').peers[0]!.hosts, [{ host: 'h', port: 3000 }]);
  assert.throws(() => parsePeers('garbage'));
});


test('sindex-list grammars: 8.1, 6.1-8.0, <= 6.0; set and expression indexes skipped', () => {
  const v81 = 'ns=test:indexname=i1:set=vec:bin=sidx:type=string:indextype=default:context=null:exp=null:state=RW;'
    + 'ns=test:indexname=i2:set=null:bin=tags:type=numeric:indextype=list:context=kaNhAQ==:exp=null:state=RW;'
    + 'ns=test:indexname=i3:set=null:bin=null:type=numeric:indextype=default:context=null:exp=kwGRQgE=:state=RW;'
    + 'ns=test:indexname=i4:set=s:indextype=set;'
    + 'ns=test:indexname=i5:set=vec:bin=g:type=geo2dsphere:indextype=mapvalues:context=null:exp=null:state=RW';
  assert.deepEqual(parseSindexList(v81), [
    { kind: 'sindex', namespace: 'test', set: 'vec', name: 'i1', indexType: 'N', bin: 'sidx', binType: 'S' },
    { kind: 'sindex', namespace: 'test', set: '', name: 'i2', indexType: 'L', bin: 'tags', binType: 'N', context: 'kaNhAQ==' },
    { kind: 'sindex', namespace: 'test', set: 'vec', name: 'i5', indexType: 'V', bin: 'g', binType: 'G' },
  ]);
  const v7 = 'ns=test:indexname=b1:set=NULL:bin=blb:type=blob:indextype=mapkeys:context=null:state=RW';
  assert.deepEqual(parseSindexList(v7), [{ kind: 'sindex', namespace: 'test', set: '', name: 'b1', indexType: 'K', bin: 'blb', binType: 'B' }]);
  const v5 = 'ns=test:set=NULL:indexname=old:num_bins=1:bin=b:type=GEOJSON:indextype=DEFAULT:path=b:state=RW';
  assert.deepEqual(parseSindexList(v5), [{ kind: 'sindex', namespace: 'test', set: '', name: 'old', indexType: 'N', bin: 'b', binType: 'G' }]);
  assert.deepEqual(parseSindexList(''), []);
});
