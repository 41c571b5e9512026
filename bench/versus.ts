// npm run bench:versus: ours beside the official asbackup/asrestore on one server, as issue
// #13 measures them: N records of ~380 B, backup of the namespace to a directory, restore
// of one file into an empty namespace, best and median of --runs alternating runs. For each run: wall
// time, records/s, the client's CPU per record and peak RSS (from GNU time, so both tools
// are measured alike), and the server's CPU per record when --server-pid names it (from
// /proc). Without --official only our rows are printed.
//   npm run bench:versus -- --host 127.0.0.1:3000 [--namespace test] [--records 1000000] [--runs 3]
//     [--official /path/to/bin (holding asbackup and asrestore)] [--server-pid PID]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import minimist from 'minimist';
import { Cluster } from '../lib/cluster/cluster.js';
import { makeFile } from './data.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIME = '/usr/bin/time';

interface Run { seconds: number; cpuS: number; rssMiB: number; serverCpuS: number }

// Ticks of utime + stime of a process, in seconds (USER_HZ is 100 on Linux).
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** run: one command under GNU time; rejects when it exits non-zero. */
function run(cmd: string, args: string[], serverPid: number | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const out = join(tmpdir(), `versus-time-${process.pid}`);
    const server0 = processCpuSeconds(serverPid);
    const t0 = performance.now();
    const child = spawn(TIME, ['-f', '%M %U %S', '-o', out, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, AS_TOOLS_CONF_DIRS: '/nonexistent' } });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      const serverCpuS = processCpuSeconds(serverPid) - server0;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const [kib, user, sys] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      rmSync(out, { force: true });
      resolve({ seconds, cpuS: user! + sys!, rssMiB: kib! / 1024, serverCpuS });
    });
  });
}

/** emptyNamespace: truncates the namespace on every node and waits until it holds no record. */
async function emptyNamespace(host: string, port: number, ns: string): Promise<void> {
  const cluster = await Cluster.connect({ hosts: [{ host, port }] });
  try {
    for (const node of cluster.nodes) await node.info([`truncate-namespace:namespace=${ns}`], { what: 'truncating the namespace' });
    const deadline = Date.now() + 120_000;
    for (;;) {
      let objects = 0;
      for (const node of cluster.nodes) {
        const stats = (await node.info([`namespace/${ns}`])).get(`namespace/${ns}`) ?? '';
        objects += Number(/(?:^|;)objects=(\d+)/.exec(stats)?.[1] ?? NaN);
      }
      if (objects === 0) return;
      if (Date.now() > deadline) throw new Error(`namespace ${ns} still holds ${objects} record(s) two minutes after truncate-namespace`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    cluster.close();
  }
}

function line(what: string, n: number, r: Run, base?: Run): string {
  const rate = Math.round(n / r.seconds);
  const ratio = base === undefined ? '' : `  ${(base.seconds / r.seconds).toFixed(2)}x`;
  const server = Number.isNaN(r.serverCpuS) ? '' : `${r.serverCpuS.toFixed(1).padStart(6)} s (${((r.serverCpuS * 1e6) / n).toFixed(1)} µs/rec)`;
  return `${what.padEnd(44)} ${rate.toLocaleString('en-US').padStart(9)} rec/s ${r.seconds.toFixed(2).padStart(7)} s ${((r.cpuS * 1e6) / n).toFixed(2).padStart(6)} µs/rec ${r.rssMiB.toFixed(0).padStart(5)} MiB ${server}${ratio}`;
}

async function main(): Promise<void> {
  const argv = minimist(process.argv.slice(2), { string: ['host', 'namespace', 'official'], default: { records: 1_000_000, namespace: 'test', runs: 3 } });
  if (!argv.host) throw new Error('--host host:port is required (a real server; the dev server is not what issue #13 measures)');
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure both tools alike: apt-get install time`);
  const [host, portText] = String(argv.host).split(':');
  const port = Number(portText ?? 3000);
  const ns = String(argv.namespace);
  const n = Number(argv.records);
  const runs = Number(argv.runs);
  const serverPid = argv['server-pid'] === undefined ? undefined : Number(argv['server-pid']);
  const official = argv.official as string | undefined;
  const ours = (name: string): string[] => [join(root, 'bin', name)];
  const work = mkdtempSync(join(tmpdir(), 'versus-'));
  try {
    const file = join(work, 'input.asb');
    const bytes = await makeFile(file, n, ns);
    process.stdout.write(`versus: ${n} records of ~${Math.round(bytes / n)} B at ${host}:${port}, namespace ${ns}, best of ${runs}, Node ${process.version}\n`);
    type Job = { what: string; cmd: string; args: string[]; before?: () => Promise<void> };
    const empty = (): Promise<void> => emptyNamespace(host!, port, ns);
    const restores: Job[] = [];
    if (official) restores.push({ what: 'official asrestore -i (batch writes)', cmd: join(official, 'asrestore'), args: ['-h', host!, '-p', String(port), '-n', ns, '-i', file], before: empty });
    restores.push({ what: 'ours asrestore -i (batch writes)', cmd: process.execPath, args: [...ours('asrestore'), '-h', `${host}:${port}`, '-n', ns, '-i', file], before: empty });
    restores.push({ what: 'ours asrestore -i --disable-batch-writes', cmd: process.execPath, args: [...ours('asrestore'), '-h', `${host}:${port}`, '-n', ns, '-i', file, '--disable-batch-writes'], before: empty });
    const dir = join(work, 'backup');
    // The last job's dirty pages are written back before the next job starts (the official
    // asbackup does not fsync its files, ours does): else the kernel writes them during it.
    const clean = async (): Promise<void> => {
      execFileSync('sync');
      rmSync(dir, { recursive: true, force: true });
    };
    const backups: Job[] = [];
    if (official) backups.push({ what: 'official asbackup -d -w 4', cmd: join(official, 'asbackup'), args: ['-h', host!, '-p', String(port), '-n', ns, '-d', dir, '-w', '4'], before: clean });
    backups.push({ what: 'ours asbackup -d', cmd: process.execPath, args: [...ours('asbackup'), '-h', `${host}:${port}`, '-n', ns, '-d', dir], before: clean });
    // One scan per node: the server then runs up to single-query-threads (4) threads for it
    // instead of twice that, which on a machine it shares with us takes fewer cores from our
    // one encoding thread.
    backups.push({ what: 'ours asbackup -d --scans-per-node 1', cmd: process.execPath, args: [...ours('asbackup'), '-h', `${host}:${port}`, '-n', ns, '-d', dir, '--scans-per-node', '1'], before: clean });
    backups.push({ what: 'ours asbackup -d --scans-per-node 4', cmd: process.execPath, args: [...ours('asbackup'), '-h', `${host}:${port}`, '-n', ns, '-d', dir, '--scans-per-node', '4'], before: clean });

    const best = new Map<string, Run>();
    const all = new Map<string, Run[]>();
    const measure = async (jobs: Job[]): Promise<void> => {
      for (let i = 0; i < runs; i++) {
        // Each run starts with the next job, so no job always follows the same one (on this
        // VM, writing new files right after others were deleted is sometimes far slower).
        for (let k = 0; k < jobs.length; k++) {
          const j = jobs[(i + k) % jobs.length]!;
          await j.before?.();
          const r = await run(j.cmd, j.args, serverPid);
          process.stderr.write(`  run ${i + 1}: ${line(j.what, n, r)}\n`);
          all.set(j.what, [...(all.get(j.what) ?? []), r]);
          const b = best.get(j.what);
          if (b === undefined || r.seconds < b.seconds) best.set(j.what, r);
        }
      }
    };
    await measure(restores);
    // The namespace now holds the records of the last restore: the backups read them.
    await measure(backups);
    const outBytes = readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
    process.stdout.write(`\n${'best of each'.padEnd(44)} ${'rate'.padStart(15)} ${'time'.padStart(9)} ${'client CPU'.padStart(13)} ${'peak RSS'.padStart(9)} server CPU${official ? ', then speed vs official' : ''}\n`);
    for (const group of [restores, backups]) {
      const base = official ? best.get(group[0]!.what) : undefined;
      for (const j of group) process.stdout.write(line(j.what, n, best.get(j.what)!, j.cmd === process.execPath ? base : undefined) + '\n');
    }
    // Runs vary on a shared machine (the official restore by ±10 %): the medians too.
    const median = (what: string): number => {
      const s = all.get(what)!.map((r) => r.seconds).sort((a, b) => a - b);
      return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    process.stdout.write(`\n${'median of each'.padEnd(44)} ${'rate'.padStart(15)}${official ? '  speed vs official' : ''}\n`);
    for (const group of [restores, backups]) {
      const base = official ? median(group[0]!.what) : undefined;
      for (const j of group) {
        const m = median(j.what);
        const ratio = base !== undefined && j.cmd === process.execPath ? `  ${(base / m).toFixed(2)}x` : '';
        process.stdout.write(`${j.what.padEnd(44)} ${Math.round(n / m).toLocaleString('en-US').padStart(9)} rec/s${ratio}\n`);
      }
    }
    process.stdout.write(`\nlast backup: ${(outBytes / 1024 / 1024).toFixed(1)} MiB in ${readdirSync(dir).length} file(s)\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
