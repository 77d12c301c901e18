/**
 * The registry beside the HTTP door, for an operator at the server: the same services, the same
 * CSV validation (api/routes/registry.ts), every change with its reason and the operator's login
 * as the actor. Lists are written as CSV to stdout; an import shows its progress and, when refused,
 * every refused row with its field.
 */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { nanoid } from 'nanoid';
import { writeCsv } from '../adapters/csv/write';
import { ConfigError } from '../adapters/config-error';
import { ImportRefused } from '../application/services/registry';
import type { RegistryKind } from '../domain/registry/events';
import type { CommandMetadata } from '../domain/shared/decider';
import { DomainError } from '../domain/shared/errors';
import { ApiProblem } from '../api/problem';
import { registryRowsFromCsv } from '../api/routes/registry';
import { listDevices, listSchools, listShops } from '../projections/registry/queries';
import type { System } from './system';

export const REGISTRY_USAGE = `usage: tsx app/cli.ts registry <command>
  import <shops|schools|devices> <file.csv> --reason "<why>" [--activate]
                                   all rows or none; the same file again changes nothing
  list <shops|schools|devices> [--status <registered|active|suspended|closed>]   CSV to stdout
  show <shop|school|device> <id>   the entry as it stands now (JSON)
  history <shop|school|device> <id>  every change: when, who, why (JSON)
  activate|suspend|close <shop|school|device> <id> --reason "<why>"`;

const KINDS: Readonly<Record<string, RegistryKind>> = { shop: 'shop', shops: 'shop', school: 'school', schools: 'school', device: 'device', devices: 'device' };

export async function registryCommand(system: System, args: readonly string[]): Promise<number> {
  const [command, kindName, target] = args;
  const kind = KINDS[kindName ?? ''];
  if (!kind) throw new ConfigError(`registry ${command ?? ''}: name a kind (shops, schools or devices).\n${REGISTRY_USAGE}`);
  try {
    switch (command) {
      case 'import':
        return await importFile(system, kind, target, args);
      case 'list':
        return await list(system, kind, option(args, '--status'));
      case 'show':
        process.stdout.write(`${JSON.stringify(await system.registry.entry(kind, required(target, 'an id')), null, 2)}\n`);
        return 0;
      case 'history': {
        const events = await system.registry.history(kind, required(target, 'an id'));
        const lines = events.map((e) => ({
          at: (e.data as { at: string }).at,
          type: e.type,
          actor: e.metadata.actor,
          reason: (e.data as { reason: string }).reason,
          data: e.data,
        }));
        process.stdout.write(`${JSON.stringify(lines, null, 2)}\n`);
        return events.length > 0 ? 0 : 1;
      }
      case 'activate':
      case 'suspend':
      case 'close': {
        const result = await system.registry.changeStatus(
          kind,
          { id: required(target, 'an id'), action: command, reason: required(option(args, '--reason'), '--reason "<why>"') },
          metaOf(system),
        );
        process.stdout.write(`${kind} ${result.id}: ${result.status}\n`);
        return 0;
      }
      default:
        throw new ConfigError(`registry: unknown command ${command}.\n${REGISTRY_USAGE}`);
    }
  } catch (error) {
    if (error instanceof DomainError) throw new ConfigError(`${error.code}: ${error.detail ?? error.meaning}`);
    throw error;
  }
}

async function importFile(system: System, kind: RegistryKind, file: string | undefined, args: readonly string[]): Promise<number> {
  const reason = required(option(args, '--reason'), '--reason "<why>"');
  const text = await readFile(required(file, 'a CSV file'), 'utf8').catch(() => {
    throw new ConfigError(`Cannot read ${file}. Fix: give the path of a readable CSV file.`);
  });
  let rows: { id: string; details: unknown }[];
  try {
    rows = registryRowsFromCsv(kind, text);
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    for (const e of error.errors ?? []) process.stderr.write(`  ${e.path}: ${e.message}\n`);
    throw new ConfigError(`${file}: ${error.detail ?? error.code}`);
  }
  process.stderr.write(`${file}: ${rows.length} rows valid; deciding against the registry…\n`);
  try {
    const result = await system.registry.import(kind, rows as never, { reason, ...(args.includes('--activate') ? { activate: true } : {}) }, metaOf(system));
    process.stdout.write(`${result.rows} rows: ${result.registered} registered, ${result.updated} updated, ${result.unchanged} unchanged\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ImportRefused)) throw error;
    for (const r of error.refusals)
      process.stderr.write(`  row ${r.row} (${r.id})${r.field ? ` ${r.field}` : ''}: ${r.code}${r.detail ? ` ${r.detail}` : ''}\n`);
    throw new ConfigError(`${error.refusals.length} row(s) refused; nothing was imported. Fix the rows above and run the import again.`);
  }
}

async function list(system: System, kind: RegistryKind, status: string | undefined): Promise<number> {
  await system.runner.catchUp();
  const filter = status ? { status: status as 'active' } : {};
  const rows: Record<string, unknown>[] = [];
  for (let after: string | undefined; ;) {
    const page =
      kind === 'shop'
        ? (await listShops(system.pool, { ...filter, ...(after ? { after } : {}) })).map((s) => ({
            id: s.shopId,
            status: s.status,
            bin: s.details.bin,
            name: s.details.name,
            city: s.details.city,
            iban: s.details.bankAccount.iban,
            bic: s.details.bankAccount.bic,
          }))
        : kind === 'school'
          ? (await listSchools(system.pool, { ...filter, ...(after ? { after } : {}) })).map((s) => ({
              id: s.schoolId,
              status: s.status,
              name: s.details.name,
              region: s.details.region,
              city: s.details.city,
              operator: s.details.canteenOperator.name,
              mealPriceTiyn: s.details.mealPriceTiyn,
            }))
          : (await listDevices(system.pool, { ...filter, ...(after ? { after } : {}) })).map((d) => ({
              id: d.deviceId,
              status: d.status,
              schoolId: d.details.schoolId,
              label: d.details.label,
            }));
    rows.push(...page);
    if (page.length === 0) break;
    after = String(page.at(-1)!.id);
  }
  const columns = Object.keys(rows[0] ?? { id: '' });
  // Through the one CSV writer: names and addresses are typed by people, so formula cells are made inert.
  process.stdout.write(
    writeCsv(
      columns,
      rows.map((row) => columns.map((c) => row[c] as string | number)),
    ),
  );
  process.stderr.write(`${rows.length} ${kind} entries\n`);
  return 0;
}

function metaOf(system: System): CommandMetadata {
  const id = `cli:${userInfo().username}`;
  return { commandId: `cli-registry:${nanoid()}`, now: system.clock.now().toISOString(), actor: { role: 'operator', id } };
}

function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') throw new ConfigError(`registry: this command needs ${what}.\n${REGISTRY_USAGE}`);
  return value;
}
