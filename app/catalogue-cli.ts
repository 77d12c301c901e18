/**
 * The product catalogue beside the HTTP door, for an operator at the server: the same services and
 * the same CSV reading (api/routes/catalogue.ts), the operator's login as the actor. An upload
 * shows its progress and, when refused, every refused row with its field and code; `show` writes
 * the version in force as the same CSV an upload takes, so it can be edited and uploaded again.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { nanoid } from 'nanoid';
import { z } from 'zod';
import { writeCsv } from '../adapters/csv/write';
import { ConfigError } from '../adapters/config-error';
import { CatalogueRowsRefused, type CatalogueRow } from '../domain/catalogue/catalogue';
import type { CommandMetadata } from '../domain/shared/decider';
import { DomainError } from '../domain/shared/errors';
import { ApiProblem } from '../api/problem';
import { parseCatalogueCsv } from '../api/routes/catalogue';
import type { System } from './system';

export const CATALOGUE_USAGE = `usage: tsx app/cli.ts catalogue <command>
  upload <file.csv> --reason "<why>"   the whole approved product list (gtin,categoryId[,name]) as the
                                       next version: all rows or none; the same file again changes nothing
  show                                 the version in force as CSV to stdout (the upload's format)
  versions                             every version: when, who, why, what changed (JSON)`;

const csvRow = z.object({ gtin: z.string(), categoryId: z.string(), name: z.string().optional() });

export async function catalogueCommand(system: System, args: readonly string[]): Promise<number> {
  const [command, file] = args;
  try {
    switch (command) {
      case 'upload':
        return await upload(system, file, args);
      case 'show':
        return await show(system);
      case 'versions':
        process.stdout.write(`${JSON.stringify(await system.catalogue.versions(), null, 2)}\n`);
        return 0;
      default:
        throw new ConfigError(`catalogue: unknown command ${command ?? ''}.\n${CATALOGUE_USAGE}`);
    }
  } catch (error) {
    if (error instanceof CatalogueRowsRefused) {
      for (const r of error.rows) process.stderr.write(`  row ${r.row} (${r.gtin}) ${r.field}: ${r.code} ${r.detail}\n`);
      throw new ConfigError(`${error.rows.length} row(s) refused; nothing was published. Fix the rows above and upload the file again.`);
    }
    if (error instanceof DomainError) throw new ConfigError(`${error.code}: ${error.detail ?? error.meaning}`);
    throw error;
  }
}

async function upload(system: System, file: string | undefined, args: readonly string[]): Promise<number> {
  const reason = required(option(args, '--reason'), '--reason "<why>"');
  const text = await readFile(required(file, 'a CSV file'), 'utf8').catch(() => {
    throw new ConfigError(`Cannot read ${file}. Fix: give the path of a readable CSV file.`);
  });
  let rows: CatalogueRow[];
  try {
    rows = z.array(csvRow).parse(parseCatalogueCsv(text));
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    for (const e of error.errors ?? []) process.stderr.write(`  ${e.path}: ${e.message}\n`);
    throw new ConfigError(`${file}: ${error.detail ?? error.code}`);
  }
  process.stderr.write(`${file}: ${rows.length} rows read; checking GTINs and categories, comparing with the version in force…\n`);
  const result = await system.catalogue.publish({ rows, reason, sourceSha256: createHash('sha256').update(text).digest('hex') }, metaOf(system));
  process.stdout.write(
    result.outcome === 'published'
      ? `published version ${result.version}: ${result.products} products (${result.added} added, ${result.changed} changed, ${result.removed.length} removed, ${result.unchanged} unchanged)\n`
      : `unchanged: the file lists version ${result.version} exactly; nothing was published\n`,
  );
  return 0;
}

async function show(system: System): Promise<number> {
  await system.catalogueView.refresh();
  const state = system.catalogueView.state();
  if (state.status === 'empty') {
    process.stderr.write('no product catalogue is published: nothing is eligible at the tills\n');
    return 1;
  }
  const products = [...state.products.values()];
  // Through the one CSV writer: names are typed by people, so formula cells are made inert.
  process.stdout.write(
    writeCsv(
      ['gtin', 'categoryId', 'name'],
      products.map((p) => [p.gtin, p.categoryId, p.name]),
    ),
  );
  process.stderr.write(`version ${state.version} (${state.publishedAt}): ${products.length} products\n`);
  return 0;
}

function metaOf(system: System): CommandMetadata {
  return { commandId: `cli-catalogue:${nanoid()}`, now: system.clock.now().toISOString(), actor: { role: 'operator', id: `cli:${userInfo().username}` } };
}

function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') throw new ConfigError(`catalogue: this command needs ${what}.\n${CATALOGUE_USAGE}`);
  return value;
}
