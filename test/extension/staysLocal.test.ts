/**
 * "Nothing leaves the machine", kept true by a test: the real engine process (the extension's engineHostMain, real
 * model) loads and rewrites
 *   - inside a network namespace with no network at all (`unshare -rn`, where the kernel allows it: Linux), and
 *   - with every network function of Node refusing and recording the attempt (fixtures/noNetwork.ts, preloaded);
 * then no attempt was recorded and the process holds no TCP/UDP socket (/proc/PID/fd against /proc/PID/net/*).
 */
import * as assert from 'node:assert/strict';
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../../src/extension/engineClient';
import { requireTestModel } from '../cli/testModel';

const root = path.resolve(__dirname, '..', '..', '..');
const hostPath = path.join(root, 'out', 'src', 'extension', 'engineHostMain.js');
const preload = path.join(__dirname, 'fixtures', 'noNetwork.js');

/** Whether this kernel lets an unprivileged process make a network namespace of its own. */
function canUnshareNet(): boolean {
  if (process.platform !== 'linux') return false;
  return spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore' }).status === 0;
}

/** Inodes of the TCP/UDP/raw sockets open in the process (its fds that are sockets listed in its net tables). */
function inetSockets(pid: number): string[] {
  const inet = new Set<string>();
  for (const t of ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6']) {
    const f = `/proc/${pid}/net/${t}`;
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode && inode !== '0') inet.add(inode);
    }
  }
  const fdDir = `/proc/${pid}/fd`;
  return fs
    .readdirSync(fdDir)
    .map((fd) => {
      try {
        return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(path.join(fdDir, fd)))?.[1];
      } catch {
        return undefined;
      }
    })
    .filter((i): i is string => !!i && inet.has(i));
}

describe('extension: the engine stays local (no network)', function () {
  this.timeout(300_000);
  let tmp: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsq-nonet-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('the guard catches a connection attempt (so its silence below means something)', () => {
    const log = path.join(tmp, 'probe.log');
    const r = spawnSync(process.execPath, ['--require', preload, '-e', "require('node:net').connect(9, '127.0.0.1')"], {
      env: { ...process.env, DIFFUSEQ_NET_LOG: log },
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /network use refused in this process: net\.connect/);
    assert.equal(fs.readFileSync(log, 'utf8'), 'net.connect\n');
  });

  it('the socket check sees a UDP socket of a process that opened one', async function () {
    if (process.platform !== 'linux') this.skip();
    const child = spawn(process.execPath, [
      '-e',
      "require('node:dgram').createSocket('udp4').bind(0, '127.0.0.1', () => console.log('bound')); setTimeout(() => {}, 10000)",
    ]);
    try {
      await new Promise((resolve) => child.stdout.once('data', resolve));
      assert.equal(inetSockets(child.pid!).length, 1);
    } finally {
      child.kill();
    }
  });

  it('a real rewrite with the network off: candidates come back, no network function was called, no socket is open', async function () {
    if (!fs.existsSync(hostPath)) this.skip();
    const bundled = path.join(root, 'models', 'default');
    const model = fs.existsSync(path.join(bundled, 'manifest.json')) ? bundled : await requireTestModel(this);
    const log = path.join(tmp, 'engine.log');
    const isolated = canUnshareNet();
    if (!isolated) console.log('      (no unshare -rn here: the preloaded guard and the socket check only)');
    const client = new EngineClient({
      hostPath,
      env: { ...process.env, DIFFUSEQ_NET_LOG: log },
      execArgv: ['--require', preload],
      // `unshare -rn node …` execs node in a new network namespace: same pid, the IPC fd and env go through.
      fork: isolated
        ? (modulePath, args, options) =>
            fork(modulePath, args, { ...options, execPath: 'unshare', execArgv: ['-rn', process.execPath, ...(options.execArgv ?? [])] })
        : undefined,
    });
    try {
      await client.load(model, { executionProvider: 'cpu' });
      const r = await client.rewrite('How can I improve my English writing skills quickly?', {
        task: 'paraphrase',
        candidates: 2,
        steps: 2,
        seed: 3,
      });
      assert.equal(r.candidates.length, 2);
      assert.ok(r.candidates.every((c) => c.text.trim() !== ''));
      assert.equal(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '', '', 'network functions called in the engine process');
      if (process.platform === 'linux') {
        const pid = client.pid!;
        if (isolated) {
          // The engine really is in its own, empty network namespace.
          assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/net`), fs.readlinkSync('/proc/self/ns/net'));
          assert.doesNotMatch(execFileSync('cat', [`/proc/${pid}/net/dev`], { encoding: 'utf8' }), /eth|ens|wl/);
        }
        assert.deepEqual(inetSockets(pid), [], 'TCP/UDP sockets open in the engine process');
      }
    } finally {
      await client.dispose();
    }
  });
});
