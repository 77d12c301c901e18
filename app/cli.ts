/**
 * The command line: `start` (the service), `rebuild <model…>`, `replay <familyId>` (an auditor's
 * replay of a family's events to a file), `reports` (today's reports as files). `simulate` and
 * `load` live in simulators/cli.ts.
 *
 * Operator-facing errors (ConfigError) print one message naming what to fix, no stack trace; the
 * service's life (starting, listening, stopping) and any other failure go through the operator log
 * (adapters/log/logger.ts: readable in dev mode, JSON lines in production). What a command produces
 * (the URLs and dev tokens, result lines, file names, progress counters) is its output, not a log.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from './config';
import { ConfigError } from '../adapters/config-error';
import { DomainError } from '../domain/shared/errors';
import { ApiProblem } from '../api/problem';
import { createSystem, loggerFromConfig, type System } from './system';
import { createLogger, type Logger } from '../adapters/log/logger';
import { devTokens } from './dev-tokens';
import { allProjections } from './read-models';
import { familyStreams } from '../projections/family-history/queries';
import type { RecordedEvent } from '../adapters/eventstore/port';
import { writeNobdDailyFiles } from '../projections/nobd-daily/export';
import { tabel, tabelSchools } from '../projections/tabel/queries';
import { tabelCsv, tabelHtml } from '../projections/tabel/export';
import { outcomesDocument, funnelCsv } from '../projections/outcomes/export';
import { registryCommand, REGISTRY_USAGE } from './registry-cli';
import { displayNamesOf } from '../adapters/vault/display';
import { FORGET_REASONS, PERSONAL_DATA_KINDS, type ForgetReason, type PersonalDataKind } from '../domain/people/personal-data';
import { BMG_MAX_CHUNK_ROWS, type BmgRow } from '../application/services/bmg-import';
import { csvRows } from '../api/routes/bmg';
import { settlementCli, SETTLEMENT_USAGE } from './settlement-cli';
import { catalogueCommand, CATALOGUE_USAGE } from './catalogue-cli';
import { contentSha256Of } from '../domain/catalogue/catalogue';
import { SAMPLE_PRODUCTS } from '../domain/programs/food-list';

const USAGE = `usage: tsx app/cli.ts <command>
  start                      run the API, the projection runner and the deadline scheduler
  rebuild <model…> | --all   replay read models from zero (the others keep running)
  replay <familyId>          write a family's full event history to REPORTS_DIR as JSON
  reports <YYYY-MM-DD>       write that day's NOBD report, the month's табель of every school (CSV +
                             printable HTML) and the month's pilot outcomes (JSON + CSV) to REPORTS_DIR
  verify [--from latest|<n>] recompute the hash chain from the start (or from signed checkpoint n) and
                             name the first altered event; the report goes to REPORTS_DIR. Exit 0 when
                             the log is intact, 3 when a problem was found (docs/EVIDENCE.md)
  registry …                 the counterpart registry (shops, schools, canteen devices), as the
                             operator's HTTP door does it: \`registry help\` lists its commands
  catalogue upload <file.csv> --reason "<why>" | show | versions
                             the product catalogue (approved product list, GTIN → category), as the
                             operator's HTTP door does it: \`catalogue help\` lists its commands
  forget --iin <IIN> | --person <personId> --reason <reason> [--kinds iin,name,phone,complaint] [--reference <case>]
                             forget a person's personal data (default: every kind, i.e. their vault key)
                             and record PersonForgotten; reason: subject_request, purpose_ended,
                             retention_expired, court_order (docs/EVIDENCE.md)
  forget-expired             forget every kind of personal data past its program's retention now
  bundle <familyId> [--as-of <instant>,…]
                             a family's evidence bundle (events with chain proofs up to a signed
                             checkpoint, states as of the instants, the figures they count in) to
                             REPORTS_DIR; check it with node scripts/verify-bundle.mjs (docs/EVIDENCE.md)

  bmg-import <file.csv|file.json> [--load-id ID] [--as-of ISO-INSTANT] [--mode full|delta] [--chunk ROWS]
                             import BMG's subscriber numbers (CSV iin,phone or JSON [{iin, phone}]) as one load;
                             the same file again resumes it (its load id comes from the file's content)
${SETTLEMENT_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'rebuild':
      return withSystem((system) => rebuild(system, args));
    case 'replay':
      return withSystem((system) => replay(system, args[0]));
    case 'reports':
      return withSystem((system) => reports(system, args[0]));
    case 'verify':
      return withSystem((system) => verify(system, args));
    case 'registry':
      return args[0] === undefined || args[0] === 'help'
        ? (process.stderr.write(`${REGISTRY_USAGE}\n`), args[0] ? 0 : 2)
        : withSystem((system) => registryCommand(system, args));
    case 'catalogue':
      return args[0] === undefined || args[0] === 'help'
        ? (process.stderr.write(`${CATALOGUE_USAGE}\n`), args[0] ? 0 : 2)
        : withSystem((system) => catalogueCommand(system, args));
    case 'forget':
      return withSystem((system) => forget(system, args));
    case 'forget-expired':
      return withSystem((system) => forgetExpired(system));
    case 'bundle':
      return withSystem((system) => bundle(system, args));
    case 'bmg-import':
      return withSystem((system) => bmgImport(system, args));
    case 'settlement':
      return withSystem((system) => settlementCli(system, args));
    default:
      process.stderr.write(`${USAGE}\n`);
      return command === undefined || command === '--help' ? 0 : 2;
  }
}

async function start(): Promise<number> {
  const config = loadConfig();
  const logger = loggerFromConfig(config);
  const database = config.DATABASE_URL ? 'DATABASE_URL' : `embedded Postgres (data in ${resolve(config.DATA_DIR)})`;
  logger.info({ database, eventStore: config.EVENT_STORE, mode: config.MODE }, 'starting the Social Wallet ledger');
  let fatal: ((reason: string) => void) | undefined;
  const system = await createSystem({ config, logger, onFatal: (reason) => fatal?.(reason) });
  // Its Postgres is gone for good: the reason on one line, the rest stopped, exit 1 (a supervisor may start us again).
  fatal = (reason) => {
    process.stderr.write(`error: ${reason}\n`);
    void system.stop().finally(() => process.exit(1));
  };
  let url: string;
  try {
    url = await system.start();
  } catch (error) {
    await system.stop();
    throw error;
  }
  process.stdout.write(
    [
      `Social Wallet ledger is up: ${url}`,
      `  dashboard ${url}/dashboard   (sign in with a bearer token: pilot outcomes, school meals, operations, a family's timeline)`,
      `  health   ${url}/health`,
      `  metrics  ${url}/metrics`,
      `  API docs ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
      catalogueLine(system),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  logger.info({ url }, 'listening');
  // Under OIDC the service accepts only the provider's tokens: HS256 samples would be refused.
  if (config.MODE === 'dev' && !config.OIDC_JWKS_URL) printDevTokens(await devTokens(system));
  else if (config.MODE === 'dev') process.stdout.write(`Dev mode with OIDC: sign in with a token from ${config.OIDC_ISSUER} (no sample tokens).\n`);
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      // Ctrl-C reaches the embedded Postgres too (same process group), so it may close our
      // connections before we close them: while stopping, that is expected, not a crash.
      process.on('uncaughtException', (error: Error & { code?: string }) => {
        if (error.code === '57P01' || /Connection terminated/.test(error.message)) return;
        logger.warn({ err: error }, 'error while stopping');
      });
      logger.info({ signal }, 'stopping (API, runner, scheduler, Postgres)');
      system.stop().then(done, (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        done();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  logger.info('stopped');
  return 0;
}

/** Which product list the tills are judged by: an operator must know when nothing is eligible, or when it is the demo SAMPLE. */
function catalogueLine(system: System): string {
  const state = system.catalogueView.state();
  if (state.status === 'empty') return '  catalogue: none published — no basket line is eligible until an operator uploads one (POST /v1/catalogue)';
  const sample = state.contentSha256 === contentSha256Of(SAMPLE_PRODUCTS);
  return `  catalogue: version ${state.version}, ${state.products.size} products${sample ? ' — the SAMPLE demo fixture (CATALOGUE_FIXTURE=none: none)' : ''}`;
}

function printDevTokens(tokens: Record<string, string>): void {
  const lines = Object.entries(tokens).map(([who, token]) => `  ${who.padEnd(18)} ${token}`);
  process.stdout.write(`Dev mode: sample bearer tokens (12 h):\n${lines.join('\n')}\n`);
}

async function withSystem(work: (system: System) => Promise<number>): Promise<number> {
  // Batch work (a rebuild's index builds, a month of reports) runs long statements on purpose:
  // no statement or query timeout unless the environment sets one.
  const config = loadConfig();
  const batch = {
    ...config,
    PG_STATEMENT_TIMEOUT_MS: process.env.PG_STATEMENT_TIMEOUT_MS ? config.PG_STATEMENT_TIMEOUT_MS : 0,
    PG_QUERY_TIMEOUT_MS: process.env.PG_QUERY_TIMEOUT_MS ? config.PG_QUERY_TIMEOUT_MS : 0,
  };
  const system = await createSystem({ config: batch, logger: loggerFromConfig(config), schedulerTimer: false });
  try {
    return await work(system);
  } finally {
    await system.stop();
  }
}

async function rebuild(system: System, names: string[]): Promise<number> {
  const all = names.includes('--all');
  const known = allProjections.map((p) => p.name);
  const targets = all ? known : names;
  const unknown = targets.filter((name) => !known.includes(name));
  if (targets.length === 0 || unknown.length > 0)
    throw new ConfigError(`rebuild needs model names or --all${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}; known: ${known.join(', ')}.`);
  system.logger.info({ models: targets }, 'rebuilding');
  const started = performance.now();
  const results = await system.runner.rebuild(...targets);
  const seconds = (performance.now() - started) / 1000;
  for (const r of results) process.stdout.write(`${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  system.logger.info({ models: targets, seconds: Number(seconds.toFixed(1)) }, 'rebuilt');
  return 0;
}

async function replay(system: System, familyId: string | undefined): Promise<number> {
  if (!familyId) throw new ConfigError('replay needs a family id: tsx app/cli.ts replay <familyId>');
  await system.runner.catchUp();
  const streams = await familyStreams(system.pool, familyId);
  if (streams.length === 0) throw new ConfigError(`No events for family ${familyId}. Check the id (it is the family id of the SDU/NOBD list).`);
  const history: RecordedEvent[] = [];
  for (const [i, stream] of streams.entries()) {
    // A list stream holds every family's rows: keep only this family's events. Written as stored,
    // not parsed (adapters/eventstore/ledger-events.ts): this is how an operator looks at an event
    // that does not parse (README "When a read model halts").
    history.push(...(await system.store.readStream(stream)).filter((e) => familyOf(e) === familyId));
    process.stderr.write(`\rreading streams ${i + 1}/${streams.length}`);
  }
  process.stderr.write('\n');
  history.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
  const dir = resolve(system.config.REPORTS_DIR);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `family-${familyId}-history.json`);
  await writeFile(
    file,
    JSON.stringify(history, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2),
  );
  process.stdout.write(`${history.length} events → ${file}\n`);
  return 0;
}

async function reports(system: System, date: string | undefined): Promise<number> {
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new ConfigError('reports needs a local date: tsx app/cli.ts reports 2026-03-31');
  const month = date.slice(0, 7);
  const dir = resolve(system.config.REPORTS_DIR);
  await system.runner.catchUp();
  const written = await writeNobdDailyFiles(system.pool, date, dir);
  const schools = await tabelSchools(system.pool, month);
  for (const [i, schoolId] of schools.entries()) {
    const sheet = await tabel(system.pool, { schoolId, month, now: system.clock.now() });
    const names = await displayNamesOf(
      system.vault,
      sheet.pupils.map((p) => p.pupilId),
    );
    const presentation = { displayName: (pupilId: string) => names.get(pupilId) };
    const base = join(dir, `tabel-${schoolId}-${month}`);
    await writeFile(`${base}.csv`, tabelCsv(sheet, presentation));
    await writeFile(`${base}.html`, tabelHtml(sheet, presentation));
    written.push(`${base}.csv`, `${base}.html`);
    process.stderr.write(`\rтабель ${i + 1}/${schools.length}`);
  }
  if (schools.length > 0) process.stderr.write('\n');
  const outcomes = await outcomesDocument(system.pool, { month });
  const outcomesBase = join(dir, `outcomes-${month}`);
  await writeFile(`${outcomesBase}.json`, `${JSON.stringify(outcomes, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
  await writeFile(`${outcomesBase}-funnel.csv`, funnelCsv(outcomes.funnel));
  written.push(`${outcomesBase}.json`, `${outcomesBase}-funnel.csv`);
  for (const file of written) process.stdout.write(`${file}\n`);
  return 0;
}

/** `--name value` of a command line, or undefined. */
function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function forget(system: System, args: string[]): Promise<number> {
  const iin = option(args, '--iin');
  const personId = option(args, '--person');
  const reason = option(args, '--reason');
  const kinds = option(args, '--kinds')
    ?.split(',')
    .map((k) => k.trim());
  if ((iin === undefined) === (personId === undefined) || !reason)
    throw new ConfigError('forget needs --iin <IIN> or --person <personId>, and --reason (subject_request, purpose_ended, retention_expired, court_order)');
  if (!(FORGET_REASONS as readonly string[]).includes(reason)) throw new ConfigError(`forget: --reason ${reason} is not one of ${FORGET_REASONS.join(', ')}`);
  const unknown = kinds?.filter((k) => !(PERSONAL_DATA_KINDS as readonly string[]).includes(k)) ?? [];
  if (unknown.length > 0) throw new ConfigError(`forget: --kinds ${unknown.join(',')} unknown; use ${PERSONAL_DATA_KINDS.join(',')}`);
  const now = system.clock.now().toISOString();
  const reference = option(args, '--reference');
  const result = await system.forgetting.forgetPerson(
    {
      ...(iin !== undefined ? { iin } : { personId: personId! }),
      ...(kinds ? { kinds: kinds as PersonalDataKind[] } : {}),
      reason: reason as ForgetReason,
      ...(reference !== undefined ? { reference } : {}),
    },
    { commandId: randomUUID(), now, actor: { role: 'operator', id: `cli:${process.env.USER ?? 'unknown'}` } },
  );
  process.stdout.write(`${result.personId}: forgotten ${result.kinds.join(', ')} (the vault still held: ${result.deleted.join(', ') || 'nothing'})\n`);
  return 0;
}

async function forgetExpired(system: System): Promise<number> {
  const people = await system.forgetExpired();
  process.stdout.write(`retention: ${people} ${people === 1 ? 'person' : 'people'} had expired personal data, now forgotten\n`);
  return 0;
}

async function bundle(system: System, args: string[]): Promise<number> {
  const familyId = args[0];
  if (!familyId || familyId.startsWith('--'))
    throw new ConfigError('bundle needs a family id: tsx app/cli.ts bundle <familyId> [--as-of 2026-03-31T19:00:00Z,…]');
  if (!system.evidence) throw new ConfigError('bundle needs the Postgres event store (EVENT_STORE=postgres): the hash chain lives there');
  const asOf = (option(args, '--as-of') ?? '').split(',').filter((a) => a !== '');
  const bad = asOf.find((a) => Number.isNaN(Date.parse(a)));
  if (bad !== undefined) throw new ConfigError(`bundle: --as-of ${bad} is not an ISO-8601 instant`);
  await system.runner.catchUp();
  await system.chainer?.catchUp();
  const made = await system.evidence.familyBundle(familyId, asOf);
  if (made.history.length === 0) throw new ConfigError(`No events for family ${familyId}. Check the id (it is the family id of the SDU/NOBD list).`);
  const dir = resolve(system.config.REPORTS_DIR);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `bundle-${familyId.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`);
  await writeFile(file, `${JSON.stringify(made, null, 2)}\n`);
  process.stdout.write(
    `${made.history.length} events, ${made.proofs.checkpoints.length} checkpoint(s), ${made.proofs.unchained.length} not chained yet → ${file}\n`,
  );
  process.stdout.write(`check it: node scripts/verify-bundle.mjs ${file} --key <the published checkpoint key>\n`);
  return 0;
}

/** Exit code of `verify` when the chain shows a problem (1 stays "the command failed"). */
const CHAIN_PROBLEM_EXIT = 3;

async function verify(system: System, args: string[]): Promise<number> {
  const at = args.indexOf('--from');
  const from = at < 0 ? 'start' : args[at + 1];
  if (!from || !/^(start|latest|\d{1,18})$/.test(from))
    throw new ConfigError('verify --from takes start, latest or a checkpoint number: tsx app/cli.ts verify --from latest');
  if (!system.evidence) throw new ConfigError('The hash chain needs the Postgres event store (EVENT_STORE=postgres).');
  process.stderr.write(`verifying the hash chain from ${from === 'start' ? 'the first block' : `checkpoint ${from}`}…\n`);
  const started = performance.now();
  const report = await system.evidence.verify(from === 'start' || from === 'latest' ? from : BigInt(from), (events) =>
    process.stderr.write(`\rverified ${events} events`),
  );
  process.stderr.write('\n');
  if (!report) throw new ConfigError(`No validly signed checkpoint ${from}. Verify from the start: tsx app/cli.ts verify`);
  const dir = resolve(system.config.REPORTS_DIR);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `chain-verification-${system.clock.now().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    report.ok
      ? `intact: ${report.eventsVerified} events in ${report.blocksVerified} blocks, ${report.checkpointsVerified} signed checkpoints (${report.eventsNotYetChained} not chained yet), ${seconds} s → ${file}\n`
      : `PROBLEM: ${report.problems[0]!.detail}\n${report.problems.length} problem(s) in all → ${file}\n`,
  );
  return report.ok ? 0 : CHAIN_PROBLEM_EXIT;
}

/** The configured logger, or the default one when the configuration itself cannot be read. */
function cliLogger(): Logger {
  try {
    return loggerFromConfig(loadConfig());
  } catch {
    return createLogger();
  }
}

async function bmgImport(system: System, args: string[]): Promise<number> {
  const [file, ...rest] = args;
  if (!file)
    throw new ConfigError('bmg-import needs a file: tsx app/cli.ts bmg-import numbers.csv [--load-id ID] [--as-of 2026-03-01T00:00:00Z] [--mode full|delta]');
  const options = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    if (!rest[i]!.startsWith('--') || rest[i + 1] === undefined) throw new ConfigError(`bmg-import: options are --name value (got ${rest[i]})`);
    options.set(rest[i]!.slice(2), rest[i + 1]!);
  }
  const bytes = await readFile(resolve(file)).catch(() => {
    throw new ConfigError(`bmg-import: cannot read ${file}.`);
  });
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const rows = file.toLowerCase().endsWith('.json') ? jsonRows(text) : csvRows(text);
  const loadId = options.get('load-id') ?? `file-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
  const asOf = options.get('as-of') ?? (await stat(resolve(file))).mtime.toISOString();
  const mode = options.get('mode') ?? 'full';
  if (mode !== 'full' && mode !== 'delta') throw new ConfigError('bmg-import: --mode is full or delta.');
  if (Number.isNaN(Date.parse(asOf))) throw new ConfigError('bmg-import: --as-of is an ISO instant, e.g. 2026-03-01T00:00:00Z.');
  const chunkRows = Number(options.get('chunk') ?? BMG_MAX_CHUNK_ROWS);
  if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > BMG_MAX_CHUNK_ROWS) throw new ConfigError(`bmg-import: --chunk is 1–${BMG_MAX_CHUNK_ROWS}.`);
  const meta = { commandId: `cli:bmg-import:${loadId}`, now: system.clock.now().toISOString(), actor: { role: 'operator', id: 'cli' } };
  await system.bmg.openLoad({ loadId, asOf: new Date(asOf).toISOString(), mode }, meta);
  const chunks = Math.max(1, Math.ceil(rows.length / chunkRows));
  const rejected: string[] = [];
  for (let k = 0; k < chunks; k++) {
    const receipt = await system.bmg.receiveChunk({ loadId, chunkNo: k + 1, rows: rows.slice(k * chunkRows, (k + 1) * chunkRows) }, meta);
    for (const r of receipt.rejected) rejected.push(`line ${r.line}: ${r.code}${r.detail ? ` (${r.detail})` : ''}`);
    process.stderr.write(`\rchunk ${k + 1}/${chunks}${receipt.repeated ? ' (already in)' : ''}`);
  }
  process.stderr.write('\n');
  const load = await system.bmg.completeLoad(loadId, chunks, meta);
  for (const line of rejected.slice(0, 100)) process.stderr.write(`${line}\n`);
  if (rejected.length > 100) process.stderr.write(`… and ${rejected.length - 100} more rejected lines\n`);
  process.stdout.write(`${JSON.stringify(load)}\n`);
  return 0;
}

function jsonRows(text: string): BmgRow[] {
  const parsed = JSON.parse(text) as unknown;
  const list = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown })?.rows;
  if (!Array.isArray(list)) throw new ConfigError('bmg-import: a JSON file is [{"iin": "…", "phone": "…"}, …] or {"rows": [...]}.');
  return list.map((row: { iin?: unknown; phone?: unknown }, i) =>
    typeof row?.iin === 'string' && typeof row?.phone === 'string'
      ? { line: i + 1, iin: row.iin, phone: row.phone }
      : { line: i + 1, malformed: 'needs iin and phone strings' },
  );
}

function familyOf(event: RecordedEvent): unknown {
  return event.metadata.familyId ?? (event.data as { familyId?: unknown } | null)?.familyId;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A ConfigError (or a refusal of the operator's input) is written for the person who started the command: one line naming what to fix.
    if (error instanceof ConfigError || error instanceof DomainError || error instanceof ApiProblem) process.stderr.write(`error: ${error.message}\n`);
    else cliLogger().fatal({ err: error }, 'the command failed');
    process.exit(1);
  },
);
