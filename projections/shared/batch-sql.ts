/**
 * Set-based SQL for a batch of events. A rebuild replays a million events, so a projection turns a
 * whole batch into a few statements: rows merged by key in JavaScript (sums add up, "first" values
 * keep the first non-null), then one `INSERT … SELECT FROM unnest(arrays) ON CONFLICT … DO UPDATE`
 * per table. Sums commute, so a batch of 1 (live) and a batch of 5 000 (rebuild) give equal rows.
 */
import { sql, type Sql } from '../projection';

export type PgType = 'text' | 'bigint' | 'integer' | 'date' | 'timestamptz' | 'boolean';

export interface Column {
  readonly name: string;
  readonly type: PgType;
}

export const col = (name: string, type: PgType): Column => ({ name, type });

/** `unnest($1::text[], $2::bigint[], …)` over column-wise arrays, parameters numbered from `first`. */
export function unnest(columns: readonly Column[], first = 1): string {
  return `unnest(${columns.map((c, i) => `$${first + i}::${c.type}[]`).join(', ')})`;
}

/** Column-wise arrays of a row list. */
export function columnsOf(rows: readonly (readonly unknown[])[], width: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => new Array<unknown>(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < width; c++) out[c]![r] = row[c] ?? null;
  }
  return out;
}

/**
 * Rows keyed by a composite key whose numeric columns add up. Emits one upsert:
 * sums are added to the stored row, `first` columns keep the stored value when there is one.
 */
export class SumRows {
  private readonly rows = new Map<string, unknown[]>();
  constructor(
    private readonly table: string,
    private readonly keys: readonly Column[],
    private readonly sums: readonly Column[],
    private readonly firsts: readonly Column[] = [],
  ) {}

  add(key: readonly unknown[], sums: readonly number[], firsts: readonly unknown[] = []): void {
    const id = key.length === 1 ? String(key[0]) : key.join('\u0000');
    const row = this.rows.get(id);
    if (!row) {
      this.rows.set(id, [...key, ...sums, ...firsts]);
      return;
    }
    const base = this.keys.length;
    for (let i = 0; i < sums.length; i++) row[base + i] = (row[base + i] as number) + sums[i]!;
    const fBase = base + this.sums.length;
    for (let i = 0; i < firsts.length; i++) if (row[fBase + i] == null) row[fBase + i] = firsts[i];
  }

  get size(): number {
    return this.rows.size;
  }

  toSql(): Sql[] {
    if (this.rows.size === 0) return [];
    const all = [...this.keys, ...this.sums, ...this.firsts];
    const t = this.table;
    const updates = [
      ...this.sums.map((c) => `${c.name} = ${t}.${c.name} + excluded.${c.name}`),
      ...this.firsts.map((c) => `${c.name} = coalesce(${t}.${c.name}, excluded.${c.name})`),
    ];
    const text =
      `insert into ${t} (${all.map((c) => c.name).join(', ')}) select * from ${unnest(all)} ` +
      `on conflict (${this.keys.map((c) => c.name).join(', ')}) do ${updates.length ? `update set ${updates.join(', ')}` : 'nothing'}`;
    return [sql(text, ...columnsOf([...this.rows.values()], all.length))];
  }
}

/** Insert-only rows (`on conflict do nothing`): the first write of a key wins, as in the log. */
export class InsertRows {
  private readonly rows = new Map<string, unknown[]>();
  constructor(
    private readonly table: string,
    private readonly columns: readonly Column[],
    private readonly keyWidth: number,
  ) {}

  add(row: readonly unknown[]): void {
    const id = row.slice(0, this.keyWidth).join('\u0000');
    if (!this.rows.has(id)) this.rows.set(id, [...row]);
  }

  get size(): number {
    return this.rows.size;
  }

  toSql(): Sql[] {
    if (this.rows.size === 0) return [];
    const names = this.columns.map((c) => c.name).join(', ');
    const text = `insert into ${this.table} (${names}) select * from ${unnest(this.columns)} on conflict do nothing`;
    return [sql(text, ...columnsOf([...this.rows.values()], this.columns.length))];
  }
}

/**
 * Plain rows for a hand-written statement (a join against a lookup table): `rows.toSql(text)`
 * where the text uses `${rows.source}` as its row source.
 */
export class Rows {
  private readonly rows: unknown[][] = [];
  constructor(private readonly columns: readonly Column[]) {}

  add(row: readonly unknown[]): void {
    this.rows.push([...row]);
  }

  get size(): number {
    return this.rows.length;
  }

  /** `unnest(…) as alias(col, …)` */
  source(alias: string, first = 1): string {
    return `${unnest(this.columns, first)} as ${alias}(${this.columns.map((c) => c.name).join(', ')})`;
  }

  values(): unknown[][] {
    return columnsOf(this.rows, this.columns.length);
  }

  toSql(build: (source: (alias: string) => string) => string): Sql[] {
    if (this.rows.length === 0) return [];
    return [sql(build((alias) => this.source(alias)), ...this.values())];
  }
}
