// A real S3 server for tests and the bench: a single-host Ceph cluster (one mon, one
// memstore OSD, no mgr) with radosgw, on 127.0.0.1 ports picked free, in a temp dir.
// Everything it starts is killed and the temp dir removed by stop(), and by an exit
// hook if the process ends first.
//
// Facts behind the config (measured on Debian 12, Ceph 16 "Pacific"):
//  * auth ... required = none: no keyrings to make;
//  * [client] ms mon client mode = crc, or radosgw loops on
//    "get_initial_auth_request returned -13";
//  * paxos propose interval = 0.1 cuts the start from about 12 s to under 3 s;
//  * memstore keeps objects in RAM: nothing touches the disk beyond the temp dir.
//
// Run by hand: `node dist/scripts/radosgw.js` starts one and prints its endpoint and keys.
// (No entry point here: node --test runs every file under dist/test/.)
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The Debian packages that hold the server and the tools to set it up. */
export const RADOSGW_PACKAGES = ['radosgw', 'ceph-mon', 'ceph-osd', 'ceph-common'];
export const INSTALL_LINE = `apt-get install -y --no-install-recommends ${RADOSGW_PACKAGES.join(' ')}`;
const PROGRAMS = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph'];

/** The fixed keys of the test user. */
export const TEST_ACCESS_KEY = 'ASBACKUPTESTKEY00001';
export const TEST_SECRET_KEY = 'asbackup-test-secret-key-0000000000000001';

/** missingPrograms: the Ceph programs not found on PATH (empty when radosgw can run). */
export function missingPrograms(): string[] {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/sbin'];
  return PROGRAMS.filter((p) => !dirs.some((d) => {
    try {
      accessSync(join(d, p), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }));
}

/** Radosgw: a running server and how to reach it. */
export interface Radosgw {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The temp dir holding config, logs and OSD metadata (removed by stop()). */
  dir: string;
  /** The environment that gives the AWS SDK chain these credentials. */
  env: Record<string, string>;
  /** Pids of the daemons now running (mon, osd, radosgw). */
  pids(): number[];
  /** restartGateway: kills radosgw (SIGKILL by default: a crash), waits downMs, starts it again. */
  restartGateway(o?: { signal?: NodeJS.Signals; downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// The server keeps the machine's real clock even when the tests run under libfaketime
// (npm run test:future): each faked daemon would start its clock anew, and a cluster whose
// daemons disagree on the time never forms. The client copes with the skew as with any
// S3 server whose clock differs from the backup host's.
const serverEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env)
  .filter(([k, v]) => !k.startsWith('FAKETIME') && !(k === 'LD_PRELOAD' && /faketime/.test(v ?? ''))));

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20, env: serverEnv() }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Anonymous GET / answers 200 (an empty bucket list) once radosgw serves requests.
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}

// Every daemon of every cluster of this process, so an exit hook can end them all.
const live = new Set<{ procs: Set<ChildProcess>; dir: string }>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) {
      for (const p of c.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      // The daemons may still be writing their logs for a moment after the signal.
      try {
        rmSync(c.dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
      } catch {
        // nothing more can be done while exiting
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(130));
  }
}

function logTail(dir: string): string {
  const out: string[] = [];
  for (const name of ['mon.out', 'osd.out', 'rgw.out', 'ceph-client.rgw.log']) {
    const f = join(dir, 'log', name);
    if (!existsSync(f)) continue;
    const lines = readFileSync(f, 'utf8').trim().split('\n').slice(-5);
    if (lines.length > 0 && lines[0] !== '') out.push(`--- ${name}\n${lines.join('\n')}`);
  }
  return out.join('\n');
}

/** startRadosgw: a fresh cluster and radosgw; resolves once S3 answers with the test user in place. */
export async function startRadosgw(): Promise<Radosgw> {
  const missing = missingPrograms();
  if (missing.length > 0) throw new Error(`radosgw is not installed (missing ${missing.join(', ')}): ${INSTALL_LINE}`);
  hookExit();
  const dir = mkdtempSync(join(tmpdir(), 'asb-radosgw-'));
  const cluster = { procs: new Set<ChildProcess>(), dir };
  live.add(cluster);
  try {
    return await startIn(dir, cluster.procs, () => live.delete(cluster));
  } catch (e) {
    for (const p of cluster.procs) p.kill('SIGKILL');
    const tail = logTail(dir);
    rmSync(dir, { recursive: true, force: true });
    live.delete(cluster);
    throw new Error(`radosgw did not start: ${(e as Error).message}${tail ? `\n${tail}` : ''}`);
  }
}

async function startIn(dir: string, procs: Set<ChildProcess>, forget: () => void): Promise<Radosgw> {
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  const conf = join(dir, 'ceph.conf');
  for (const d of ['run', 'log', 'mon', 'osd/ceph-0']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(conf, [
    '[global]',
    `fsid = ${fsid}`,
    `mon host = v2:127.0.0.1:${monPort}`,
    'mon initial members = a',
    'auth cluster required = none',
    'auth service required = none',
    'auth client required = none',
    `run dir = ${dir}/run`,
    `admin socket = ${dir}/run/$name.asok`,
    `pid file = ${dir}/run/$name.pid`,
    `log file = ${dir}/log/$cluster-$name.log`,
    `mon data = ${dir}/mon/$cluster-$id`,
    `osd data = ${dir}/osd/$cluster-$id`,
    'ms bind ipv6 = false',
    'paxos propose interval = 0.1',
    'osd objectstore = memstore',
    'memstore device bytes = 8589934592',
    'osd pool default size = 1',
    'osd pool default min size = 1',
    'osd pool default pg num = 8',
    'osd pool default pgp num = 8',
    'osd pool default pg autoscale mode = off',
    'osd crush chooseleaf type = 0',
    'mon allow pool size one = true',
    'mon warn on pool no redundancy = false',
    'mon max pg per osd = 1000',
    '[client]',
    'ms mon client mode = crc',
    `rgw frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1`,
    // Deleted objects are freed (memstore keeps them in RAM) within a minute, not two hours.
    'rgw gc obj min wait = 30',
    'rgw gc processor period = 30',
    '',
  ].join('\n'));
  const c = ['-c', conf];

  const daemon = (name: string, cmd: string, args: string[]): ChildProcess => {
    const fd = openSync(join(dir, 'log', `${name}.out`), 'a');
    const p = spawn(cmd, [...c, '-f', ...args], { stdio: ['ignore', fd, fd], env: serverEnv() });
    closeSync(fd);
    procs.add(p);
    p.once('exit', () => procs.delete(p));
    p.once('error', () => procs.delete(p));
    return p;
  };

  await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, join(dir, 'monmap')]);
  await run('ceph-mon', [...c, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')]);
  daemon('mon', 'ceph-mon', ['-i', 'a']);

  const osdUuid = randomUUID();
  const osdId = (await run('ceph', [...c, '--connect-timeout', '30', 'osd', 'new', osdUuid])).trim();
  await run('ceph-osd', [...c, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid]);
  daemon('osd', 'ceph-osd', ['-i', osdId]);

  let gateway: ChildProcess | undefined;
  const startGateway = async (): Promise<void> => {
    gateway = daemon('rgw', 'radosgw', ['-n', 'client.rgw']);
    const started = Date.now();
    while (!(await answers(rgwPort))) {
      if (gateway.exitCode !== null || gateway.signalCode !== null) throw new Error(`radosgw exited (${gateway.exitCode ?? gateway.signalCode})`);
      if (Date.now() - started > 120_000) throw new Error('radosgw did not answer within 120 s');
      await sleep(100);
    }
  };
  await startGateway();
  await run('radosgw-admin', [...c, 'user', 'create', '--uid', 'asbackup-test', '--display-name', 'asbackup tests',
    '--access-key', TEST_ACCESS_KEY, '--secret', TEST_SECRET_KEY]);

  const endpoint = `http://127.0.0.1:${rgwPort}`;
  let stopped = false;
  const kill = (p: ChildProcess, signal: NodeJS.Signals): Promise<void> => new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill(signal);
  });
  return {
    endpoint,
    region: 'us-east-1',
    accessKeyId: TEST_ACCESS_KEY,
    secretAccessKey: TEST_SECRET_KEY,
    dir,
    env: { AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: TEST_SECRET_KEY, AWS_REGION: 'us-east-1' },
    pids: () => [...procs].map((p) => p.pid!).filter((pid) => pid !== undefined),
    async restartGateway(o = {}) {
      if (gateway) await kill(gateway, o.signal ?? 'SIGKILL');
      if (o.downMs) await sleep(o.downMs);
      await startGateway();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // SIGKILL: the data is throw-away (memstore), and a clean OSD shutdown takes seconds.
      await Promise.all([...procs].map((p) => kill(p, 'SIGKILL')));
      rmSync(dir, { recursive: true, force: true });
      forget();
    },
  };
}
