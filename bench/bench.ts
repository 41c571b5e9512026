// npm run bench: where we stand. Fills a dev server (or the server given with --host) with
// N records of ~380 B through asrestore, then measures a scan that discards records (the
// ceiling for a backup), asbackup to a directory and to /dev/null, as-scan with and without
// the view of lists and maps (also on records made of lists and maps, and the check of the
// views by as-encode-asb), backup and restore plain, -z zstd, -y aes256 and both, on the
// local disk and to and from a local radosgw (bench/s3.ts), the .asb codec, zstd and AES on
// .asb text (bench/codec.ts) and start-up time. Prints records/s, MiB/s (of .asb text),
// peak RSS and the client's CPU time per record (user + system, all threads) for each
// program run.
//   npm run bench -- [--records 300000] [--host 127.0.0.1:3000] [--namespace test] [--nodes 1] [--only-backup | --only-restore]
// (--only-restore: stop after the restore rows; --only-backup: after the asbackup -d rows.)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import minimist from 'minimist';
import { benchScan } from './scan.js';
import { benchAsb } from './asb.js';
import { benchCodec, formatCodec } from './codec.js';
import { cdtRecord, makeFile } from './data.js';
import { startBenchS3 } from './s3.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MiB = 1024 * 1024;

interface Ran { seconds: number; stderr: string; rssMiB: number; cpuUs: number }

function runBin(name: string, args: string[], io: { stdin?: string; stdout?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const stdin = io.stdin === undefined ? 'ignore' : openSync(io.stdin, 'r');
    const stdout = io.stdout === undefined ? 'ignore' : openSync(io.stdout, 'w');
    const child = spawn(process.execPath, [join(root, 'bin', name), ...args], { env: { ...process.env, ...io.env, AS_REPORT_RSS: '1', AS_TOOLS_CONF_DIRS: '/nonexistent' }, stdio: [stdin, stdout, 'pipe'] });
    for (const fd of [stdin, stdout]) if (typeof fd === 'number') closeSync(fd);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`${name} exited ${code}: ${stderr}`));
      const rss = /peak-rss-kib (\d+)/.exec(stderr);
      const cpu = /cpu-us (\d+)/.exec(stderr);
      resolve({ seconds, stderr, rssMiB: rss ? Number(rss[1]) / 1024 : NaN, cpuUs: cpu ? Number(cpu[1]) : NaN });
    });
  });
}

function row(what: string, records: number, seconds: number, bytes: number, rssMiB?: number, cpuUs?: number): string {
  const rate = Math.round(records / seconds).toLocaleString('en-US').padStart(10);
  const mibs = (bytes / MiB / seconds).toFixed(1).padStart(7);
  const rss = rssMiB === undefined ? ''.padStart(10) : `${rssMiB.toFixed(0).padStart(6)} MiB`;
  const cpu = cpuUs === undefined ? '' : `${(cpuUs / records).toFixed(1).padStart(7)} µs`;
  return `${what.padEnd(40)} ${String(records).padStart(9)} rec ${seconds.toFixed(2).padStart(7)} s ${rate} rec/s ${mibs} MiB/s ${rss} ${cpu}`;
}

/** A program run as a row: its records, wall time, .asb bytes, peak RSS and CPU. */
const ran = (what: string, records: number, r: Ran, bytes: number): string => row(what, records, r.seconds, bytes, r.rssMiB, r.cpuUs);

/** pct: how much more b costs than a, as "+12 %". */
function pct(b: number, a: number): string {
  const d = Math.round((b / a - 1) * 100);
  return `${d >= 0 ? '+' : ''}${d} %`;
}

async function main(): Promise<void> {
  const argv = minimist(process.argv.slice(2), { string: ['host', 'namespace'], boolean: ['only-backup', 'only-restore'], default: { records: 300000, namespace: 'test', nodes: 1 } });
  const n = Number(argv.records);
  const ns = String(argv.namespace);
  const work = mkdtempSync(join(tmpdir(), 'asbench-'));
  let server: { seeds: Array<{ host: string; port: number }>; close(): Promise<void> } | undefined;
  let host: string = argv.host;
  try {
    if (!host) {
      const { startDevServerThread } = await import('../lib/devserver/index.js');
      server = await startDevServerThread({ nodes: Number(argv.nodes), namespaces: [ns] });
      host = `127.0.0.1:${server.seeds[0]!.port}`;
    }
    process.stdout.write(`bench: ${n} records of ~380 B against ${argv.host ? host : `a ${argv.nodes}-node dev server at ${host}`}, Node ${process.version}\n`);
    const file = join(work, 'input.asb');
    const fileBytes = await makeFile(file, n, ns);
    process.stdout.write(`input file: ${(fileBytes / MiB).toFixed(1)} MiB (${Math.round(fileBytes / n)} B/record)\n\n`);

    const restore = await runBin('asrestore', ['-h', host, '-n', ns, '-i', file, '-g']);
    const lines: string[] = [ran('asrestore -i (fill)', n, restore, fileBytes)];
    // Puts against batch writes (issue #13), best of 2 alternating runs each; the server's
    // CPU per record is this process's (the dev server runs in its worker thread).
    const best: Record<string, { r: Ran; serverUs: number }> = {};
    for (let i = 0; i < 2; i++) {
      for (const [what, extra] of [['asrestore -i, puts (--disable-batch-writes)', ['--disable-batch-writes']], ['asrestore -i, batch writes', []]] as const) {
        const cpu = process.cpuUsage();
        const r = await runBin('asrestore', ['-h', host, '-n', ns, '-i', file, '-g', ...extra]);
        const used = process.cpuUsage(cpu);
        const serverUs = server === undefined ? NaN : (used.user + used.system) / n;
        if (best[what] === undefined || r.seconds < best[what]!.r.seconds) best[what] = { r, serverUs };
      }
    }
    for (const [what, b] of Object.entries(best)) lines.push(ran(what, n, b.r, fileBytes));
    const writeNote = `restore write path, dev server CPU per record: ${Object.entries(best).map(([what, b]) => `${what.replace('asrestore -i, ', '')} ${b.serverUs.toFixed(1)} µs`).join(', ')}`;
    if (argv['only-restore']) {
      process.stdout.write(`${'what'.padEnd(40)} ${'records'.padStart(13)} ${'time'.padStart(9)} ${'rate'.padStart(16)} ${'bandwidth'.padStart(13)} ${'peak RSS'.padStart(10)} CPU/rec\n`);
      for (const l of lines) process.stdout.write(l + '\n');
      process.stdout.write(`\n${writeNote}\n`);
      return;
    }

    const [h, p] = host.split(':');
    await benchScan(h!, Number(p), ns); // warm the server's caches
    const objects = await benchScan(h!, Number(p), ns);
    lines.push(row('discard scan, records as objects', objects.records, objects.seconds, fileBytes * (objects.records / n)));
    const scan = await benchScan(h!, Number(p), ns, true);
    lines.push(row('discard scan, wire form (ceiling)', scan.records, scan.seconds, fileBytes * (scan.records / n)));

    const dir = join(work, 'backup');
    const backup = await runBin('asbackup', ['-h', host, '-n', ns, '-d', dir, '-r']);
    const outBytes = readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
    lines.push(ran('asbackup -d', n, backup, outBytes));
    // Encoder threads: on 2 cores they only show their cost; with cores to spare they scale.
    for (const threads of [0, 1, 2, 3]) {
      const t = await runBin('asbackup', ['-h', host, '-n', ns, '-d', dir, '-r', '--encoder-threads', String(threads)]);
      lines.push(ran(`asbackup -d --encoder-threads ${threads}`, n, t, outBytes));
    }
    for (const scans of [1, 4]) {
      const t = await runBin('asbackup', ['-h', host, '-n', ns, '-d', dir, '-r', '--scans-per-node', String(scans)]);
      lines.push(ran(`asbackup -d --scans-per-node ${scans}`, n, t, outBytes));
    }
    if (argv['only-backup']) {
      process.stdout.write(`${'what'.padEnd(40)} ${'records'.padStart(13)} ${'time'.padStart(9)} ${'rate'.padStart(16)} ${'bandwidth'.padStart(13)} ${'peak RSS'.padStart(10)} CPU/rec\n`);
      process.stdout.write(lines.join('\n') + `\n\n${writeNote}\n`);
      return;
    }
    const nul = await runBin('asbackup', ['-h', host, '-n', ns, '-o', '/dev/null', '-r']);
    lines.push(ran('asbackup -o /dev/null', n, nul, outBytes));
    // -N: the write bandwidth limit, measured over the whole run (about 5 s).
    const nice = Math.max(1, Math.round(outBytes / MiB / 5));
    const throttled = await runBin('asbackup', ['-h', host, '-n', ns, '-d', dir, '-r', '-N', String(nice)]);
    const ownSeconds = Number(/in ([\d.]+) s \(/.exec(throttled.stderr)?.[1] ?? throttled.seconds);
    lines.push(row(`asbackup -d -N ${nice} (MiB/s limit)`, n, ownSeconds, outBytes, throttled.rssMiB, throttled.cpuUs));
    const scanBin = await runBin('as-scan', ['-h', host, '-n', ns]);
    lines.push(ran('as-scan > /dev/null (JSON lines)', n, scanBin, outBytes));
    const viewBin = await runBin('as-scan', ['-h', host, '-n', ns, '--view']);
    lines.push(ran('as-scan --view > /dev/null', n, viewBin, outBytes));

    // The view's cost where it matters: records whose data is in lists and maps (set cdt,
    // added last so the rows above measure the bench set alone). Both ends: as-scan
    // renders the view, as-encode-asb checks it against the bytes.
    const nCdt = Math.max(1, Math.round(n / 3));
    const cdtFile = join(work, 'cdt.asb');
    await makeFile(cdtFile, nCdt, ns, cdtRecord);
    await runBin('asrestore', ['-h', host, '-n', ns, '-i', cdtFile, '-g']);
    const plainJson = join(work, 'cdt.jsonl');
    const viewJson = join(work, 'cdt-view.jsonl');
    const cdtPlain = await runBin('as-scan', ['-h', host, '-n', ns, '-s', 'cdt'], { stdout: plainJson });
    const cdtView = await runBin('as-scan', ['-h', host, '-n', ns, '-s', 'cdt', '--view'], { stdout: viewJson });
    const plainBytes = statSync(plainJson).size;
    const viewBytes = statSync(viewJson).size;
    lines.push(ran('as-scan -s cdt (lists and maps)', nCdt, cdtPlain, plainBytes));
    lines.push(ran('as-scan -s cdt --view', nCdt, cdtView, viewBytes));
    const encPlain = await runBin('as-encode-asb', [], { stdin: plainJson, stdout: '/dev/null' });
    const encView = await runBin('as-encode-asb', [], { stdin: viewJson, stdout: '/dev/null' });
    lines.push(ran('as-encode-asb < cdt lines', nCdt, encPlain, plainBytes));
    lines.push(ran('as-encode-asb < cdt lines with views', nCdt, encView, viewBytes));
    const viewNote = `view of lists and maps: as-scan ${pct(viewBin.seconds, scanBin.seconds)} on the bench set, ${pct(cdtView.seconds, cdtPlain.seconds)} on set cdt (lines ${pct(viewBytes, plainBytes)} bytes); as-encode-asb checking the views ${pct(encView.seconds, encPlain.seconds)}`;

    // Backup and restore with each codec, on the local disk and in a local radosgw. The
    // restores with --validate read, decode and count: the part a codec changes; one full
    // restore of each place shows it beside the cluster's write path.
    const keyEnv = { BENCH_KEY: randomBytes(32).toString('base64') };
    const aes = ['-y', 'aes256', '--encryption-key-env', 'BENCH_KEY'];
    const codecs: Array<[string, string[]]> = [['', []], [' -z zstd', ['-z', 'zstd']], [' -y aes256', aes], [' -z zstd -y aes256', ['-z', 'zstd', ...aes]]];
    lines.push('');
    const s3 = await startBenchS3();
    try {
      const places: Array<[string, string, string[], Record<string, string>]> = [['local', join(work, 'codec'), [], keyEnv]];
      if (!('skipped' in s3)) places.push(['s3', 's3://bench/backup', s3.args, { ...s3.env, ...keyEnv }]);
      for (const [place, dir, extra, env] of places) {
        for (const [name, args] of codecs) {
          // -s bench: the records of the rows above (set cdt has been added since).
          const b = await runBin('asbackup', ['-h', host, '-n', ns, '-s', 'bench', '-d', dir, '-r', ...extra, ...args], { env });
          lines.push(ran(`asbackup -d ${place}${name}`, n, b, outBytes));
          const v = await runBin('asrestore', ['-d', dir, '--validate', ...extra, ...args], { env });
          lines.push(ran(`asrestore -d ${place} --validate${name}`, n, v, outBytes));
          if (name === codecs[3]![0]) {
            const r = await runBin('asrestore', ['-h', host, '-n', ns, '-d', dir, '-g', ...extra, ...args], { env });
            lines.push(ran(`asrestore -d ${place}${name}`, n, r, outBytes));
          }
        }
      }
    } finally {
      if (!('skipped' in s3)) await s3.stop();
    }

    const codec = await benchAsb();
    const zstdAes = await benchCodec();
    let startup = Infinity;
    for (let i = 0; i < 5; i++) startup = Math.min(startup, (await runBin('asbackup', ['--version'])).seconds);

    process.stdout.write(`${'what'.padEnd(40)} ${'records'.padStart(13)} ${'time'.padStart(9)} ${'rate'.padStart(16)} ${'bandwidth'.padStart(13)} ${'peak RSS'.padStart(10)} CPU/rec\n`);
    for (const l of lines) process.stdout.write(l + '\n');
    const own = (r: Ran) => Number(/in ([\d.]+) s \(/.exec(r.stderr)?.[1] ?? r.seconds);
    process.stdout.write(`\nasbackup -d vs the discard scan: ${((scan.seconds / own(backup)) * 100).toFixed(0)} % of the ceiling's rate (backup time from its summary; wall time with start-up and connect: ${((scan.seconds / backup.seconds) * 100).toFixed(0)} %)\n`);
    process.stdout.write(`.asb codec: encode ${codec.encodeMiBs.toFixed(0)} MiB/s, decode ${codec.decodeMiBs.toFixed(0)} MiB/s\n`);
    process.stdout.write(`start-up (asbackup --version, best of 5): ${(startup * 1000).toFixed(0)} ms\n`);
    process.stdout.write(`${viewNote}\n`);
    process.stdout.write(`${writeNote}\n`);
    if ('skipped' in s3) process.stdout.write(`S3 rows skipped: ${s3.skipped}\n`);
    process.stdout.write(`\n${formatCodec(zstdAes)}\n`);
  } finally {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
