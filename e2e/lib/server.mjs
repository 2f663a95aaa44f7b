// Starts the real `callstats serve` binary on a free loopback port with a fresh SQLite file (or,
// with CALLSTATS_TEST_BACKEND=postgres, a fresh database on the PostgreSQL server in
// CALLSTATS_TEST_DATABASE_URL; scripts/test runs the suite once per backend), and gives the tests
// its base URL, the printed credentials, the CLI against the same database, and everything the
// server logged.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const BIN =
  process.env.CALLSTATS_BIN ||
  join(process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'callstats-target'), 'debug', 'callstats');

// Servers still running. When this process ends — normally, on a test timeout, or killed by
// SIGINT/SIGTERM (Ctrl-C, `timeout`) — they are killed too, instead of living on as orphans.
const running = new Set();
process.on('exit', () => running.forEach((c) => c.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    running.forEach((c) => c.kill('SIGKILL'));
    process.kill(process.pid, signal);
  });
}

export const BACKEND = process.env.CALLSTATS_TEST_BACKEND || 'sqlite';

/** The `--database …` arguments of the server in `dir`; a PostgreSQL database is created once per dir. */
function databaseArgs(dir) {
  if (BACKEND === 'sqlite') return { database: `sqlite://${join(dir, 'callstats.db')}`, args: [] };
  if (BACKEND !== 'postgres') throw new Error(`CALLSTATS_TEST_BACKEND=${BACKEND}: expected sqlite or postgres`);
  const server = process.env.CALLSTATS_TEST_DATABASE_URL;
  if (!server) throw new Error('CALLSTATS_TEST_BACKEND=postgres needs CALLSTATS_TEST_DATABASE_URL (bash scripts/test sets both)');
  const saved = join(dir, 'database-url');
  if (!existsSync(saved)) {
    const name = `e2e_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    execFileSync('psql', [server, '-qc', `CREATE DATABASE ${name}`]);
    writeFileSync(saved, `${server.slice(0, server.lastIndexOf('/'))}/${name}`);
  }
  return { database: readFileSync(saved, 'utf8'), args: ['--server-key-file', join(dir, 'server.key')] };
}

/**
 * `dir` reuses a database (and its server key) from an earlier server; `listen` fixes the
 * address, so a restarted server is found where the browser left it.
 */
export async function startServer({ dir = mkdtempSync(join(tmpdir(), 'callstats-e2e-')), listen = '127.0.0.1:0' } = {}) {
  const dbPath = join(dir, 'callstats.db');
  const { database, args: keyArgs } = databaseArgs(dir);
  const child = spawn(BIN, ['serve', '--listen', listen, '--database', database, ...keyArgs], {
    env: { ...process.env, CALLSTATS_LOG: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise((r) => child.once('exit', r)).finally(() => running.delete(child));
  const log = [];
  createInterface({ input: child.stderr }).on('line', (l) => log.push(l));
  const printed = {};
  const lines = createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 20 s:\n${log.join('\n')}`));
    }, 20000);
    child.on('error', (err) => reject(new Error(`cannot run ${BIN} (build it with cargo build --bin callstats, or set CALLSTATS_BIN): ${err.message}`)));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${log.join('\n')}`)));
    lines.on('line', (line) => {
      const m = /^(Listening on|AppID:|AppSecret:|DashboardUser:|DashboardPassword:|Dashboard:)\s*(.*)$/.exec(line);
      if (m) printed[m[1]] = m[2].trim();
      // `Dashboard:` is the last start-up line, printed once the first admin account exists
      // (tests sign in with it or set its password at once).
      if (printed['Dashboard:'] !== undefined && printed['Listening on']) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const cli = (...args) => execFileSync(BIN, [...args, '--database', database, ...keyArgs], { encoding: 'utf8' }).trim();
  const server = {
    base: printed['Listening on'],
    baseURL: printed['Listening on'],
    appID: printed['AppID:'],
    appSecret: printed['AppSecret:'],
    dashboardPassword: printed['DashboardPassword:'],
    dir,
    dbPath,
    database,
    log,
    cli,
    adminToken: null,
    async api(path) {
      if (!server.adminToken) server.adminToken = cli('admin', 'token');
      const res = await fetch(server.base + path, { headers: { authorization: `Bearer ${server.adminToken}` } });
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    /**
     * Lines where the server refused a client's request (it logs each one with the word
     * "rejected"). The tests' own JSON API reads are left out: `until` polls them before the
     * conference exists, and those 404s say nothing about the client.
     */
    rejections() {
      return log.filter((l) => /rejected/.test(l) && !/http\.path="\/api\//.test(l));
    },
    /** Sends `signal` (SIGKILL: a crash) and resolves once the process is gone; the database stays. */
    kill(signal = 'SIGKILL') {
      child.kill(signal);
      return exited;
    },
    /** Stops the server; `keep` leaves its database for a restart. */
    async stop({ keep = false } = {}) {
      child.kill('SIGTERM');
      await exited;
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
