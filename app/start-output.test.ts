/** `npm start` tells where the dashboard is, and the address it prints serves it. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase } from '../test/pg';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let dataDir: string;
beforeAll(async () => {
  db = await freshDatabase([]);
  dataDir = mkdtempSync(join(tmpdir(), 'swl-start-'));
});
afterAll(async () => {
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('prints the dashboard’s URL, which serves the dashboard', async () => {
  const service = spawn(process.execPath, ['--import', 'tsx', 'app/cli.ts', 'start'], {
    env: { ...process.env, DATABASE_URL: db.url, MODE: 'dev', PORT: '0', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const exited = new Promise<number | null>((done) => service.once('exit', (code) => done(code)));
  try {
    await new Promise<void>((ready, fail) => {
      service.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Press Ctrl-C')) ready();
      });
      void exited.then((code) => fail(new Error(`npm start exited ${code} before it was up: ${stdout}`)));
    });
    const url = /dashboard (http:\/\/\S+\/dashboard)/.exec(stdout)?.[1];
    expect(url).toBeDefined();
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/dashboard/assets/index.js');
  } finally {
    service.kill('SIGINT');
    await exited;
  }
}, 60_000);
