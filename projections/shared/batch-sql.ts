/**
 * Set-based SQL for a batch of events. A rebuild replays a million events, so a projection turns a
 * whole batch into a few statements: rows merged by key in JavaScript (sums add up, "first" values
 * keep the first non-null), then one `INSERT … SELECT FROM unnest(arrays) ON CONFLICT … DO UPDATE`
 * per table. Sums commute, so a batch of 1 (live) and a batch of 5 000 (rebuild) give equal rows.
 */
import { sql, type Sql } from '../projection';

export type PgType = 'text' | 'bigint' | 'integer' | 'date' | 'timestamptz' | 'boolean' | 'jsonb';

export interface Column {
  readonly name: string;
  readonly type: PgType;
}

export const col = (name: string, type: PgType): Column => ({ name, type });

/** `unnest($1::text[], $2::bigint[], …)` over column-wise arrays, parameters numbered from `first`. */
export function unnest(columns: readonly Column[], first = 1): string {
  return `unnest(${columns.map((c, i) => `$${first + i}::${c.type}[]`).join(', ')})`;
}

/**
 * A Postgres array literal (`{"a","b",NULL,3}`) for an `unnest($n::type[])` parameter. Built here
 * rather than by the driver's generic array serializer (two regex replaces per element): a rebuild
 * sends millions of elements, and this is where the Node side of a batch spends its time.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') out += String(v);
    else {
      const text = String(v);
      out += NEEDS_ESCAPE.test(text) ? `"${text.replace(ESCAPED, '\\$&')}"` : `"${text}"`;
    }
  }
  return `${out}}`;
}
const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;

/** Column-wise array literals of a row list. */
export function columnsOf(rows: readonly (readonly unknown[])[], width: number): string[] {
  const out: unknown[][] = Array.from({ length: width }, () => new Array<unknown>(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < width; c++) out[c]![r] = row[c] ?? null;
  }
  return out.map(arrayLiteral);
}

/** Rows kept column by column (no array per row kept alive), sent as array literals. */
class Columns {
  private readonly data: unknown[][];
  length = 0;
  constructor(width: number) {
    this.data = Array.from({ length: width }, () => []);
  }
  push(row: readonly unknown[]): void {
    for (let c = 0; c < this.data.length; c++) this.data[c]!.push(row[c] ?? null);
    this.length++;
  }
  literals(): string[] {
    return this.data.map(arrayLiteral);
  }
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
  private readonly seen = new Set<string>();
  private readonly rows: Columns;
  constructor(
    private readonly table: string,
    private readonly columns: readonly Column[],
    private readonly keyWidth: number,
  ) {
    this.rows = new Columns(columns.length);
  }

  add(row: readonly unknown[]): void {
    const id = this.keyWidth === 1 ? String(row[0]) : this.keyWidth === 2 ? `${row[0]}\u0000${row[1]}` : row.slice(0, this.keyWidth).join('\u0000');
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.rows.push(row);
  }

  get size(): number {
    return this.rows.length;
  }

  toSql(): Sql[] {
    if (this.rows.length === 0) return [];
    const names = this.columns.map((c) => c.name).join(', ');
    const text = `insert into ${this.table} (${names}) select * from ${unnest(this.columns)} on conflict do nothing`;
    return [sql(text, ...this.rows.literals())];
  }
}

/**
 * Plain rows for a hand-written statement (a join against a lookup table): `rows.toSql(text)`
 * where the text uses `${rows.source}` as its row source.
 */
export class Rows {
  private readonly rows: Columns;
  constructor(private readonly columns: readonly Column[]) {
    this.rows = new Columns(columns.length);
  }

  add(row: readonly unknown[]): void {
    this.rows.push(row);
  }

  get size(): number {
    return this.rows.length;
  }

  /** The column names, comma-separated (an INSERT's column list). */
  get names(): string {
    return this.columns.map((c) => c.name).join(', ');
  }

  /** `unnest(…) as alias(col, …)` */
  source(alias: string, first = 1): string {
    return `${unnest(this.columns, first)} as ${alias}(${this.columns.map((c) => c.name).join(', ')})`;
  }

  values(): string[] {
    return this.rows.literals();
  }

  toSql(build: (source: (alias: string) => string) => string): Sql[] {
    if (this.rows.length === 0) return [];
    return [
      sql(
        build((alias) => this.source(alias)),
        ...this.values(),
      ),
    ];
  }
}
