/**
 * Every CSV the system writes (табель, NOBD daily files, outcomes, list returns) goes through
 * here: csv-stringify, with every text cell neutralised against formula injection as OWASP's
 * "CSV Injection" page recommends. A spreadsheet runs a cell that starts with = + - @ (or a tab
 * or carriage return before one) as a formula — `=HYPERLINK(…)` in a pupil's name would run on
 * the pedagogue's machine — so such a text cell is prefixed with a single quote and quoted: it
 * shows as the text it is. Numbers stay numbers (a count, an amount in tiyn); only text changes.
 * Readers that parse these files see the quote; docs/READ_MODELS.md says so.
 */
import { stringify } from 'csv-stringify/sync';

export type CsvCell = string | number | boolean | null | undefined;

/** OWASP's list: = + - @, tab (0x09) and carriage return (0x0D). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell a spreadsheet would run as a formula, made inert; any other cell as it is. */
export function inertCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export interface CsvOptions {
  /** `\n` (the default) or `\r\n` (RFC 4180, for partners that want it). */
  readonly lineEnd?: '\n' | '\r\n';
  /** Write the header line (default yes). */
  readonly header?: boolean;
}

/** Rows under a header of `columns`; null and undefined are empty cells. */
export function writeCsv(columns: readonly string[], rows: readonly (readonly CsvCell[])[], options: CsvOptions = {}): string {
  return stringify(
    rows.map((row) => [...row]),
    {
      header: options.header ?? true,
      columns: columns.map(inertCell),
      record_delimiter: options.lineEnd === '\r\n' ? 'windows' : 'unix',
      cast: { string: inertCell },
      // OWASP also wraps such a cell in double quotes.
      quoted_match: /^'[=+\-@\t\r]/,
    },
  );
}
