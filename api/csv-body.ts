/**
 * Reading an uploaded CSV (lists, the registry's imports, the product catalogue, BMG's phones):
 * one reader, so every door refuses the same malformed files with the same answers. A file saved
 * by Excel in a Russian or Kazakh locale separates fields with `;`: the header line decides.
 */
import { parse } from 'csv-parse/sync';
import { ApiProblem } from './problem';

export type CsvRecord = Record<string, string>;

/** The field separator of a file: `;` when its header line has one and no comma, else `,`. */
export function csvDelimiter(csvText: string): ',' | ';' {
  const end = csvText.search(/\r?\n/);
  const header = end < 0 ? csvText : csvText.slice(0, end);
  return header.includes(';') && !header.includes(',') ? ';' : ',';
}

/** csv-parse's options every door shares; its messages can quote a line (personal data), ours only say where. */
export function csvOptions(csvText: string, maxRecordBytes = 64 * 1024) {
  return { delimiter: csvDelimiter(csvText), skip_empty_lines: true, trim: true, bom: true, max_record_size: maxRecordBytes } as const;
}

export function csvUnreadable(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  const line = (error as { lines?: number }).lines;
  return new ApiProblem('validation_failed', `The CSV could not be parsed${line ? ` near line ${line}` : ''}.`, [{ path: 'body', message: 'invalid CSV' }]);
}

/**
 * Records by header name, every line with the header's number of fields, the `required` columns
 * present, at most `maxRows` rows (`tooMany` says the limit to the caller).
 */
export function readCsvRecords(csvText: string, limits: { required: readonly string[]; maxRows: number; tooMany: string }): CsvRecord[] {
  let records: CsvRecord[];
  try {
    records = parse(csvText, { ...csvOptions(csvText), columns: distinctColumns, relax_column_count: false });
  } catch (error) {
    throw csvUnreadable(error);
  }
  const header = Object.keys(records[0] ?? {});
  const missing = records.length > 0 ? limits.required.filter((c) => !header.includes(c)) : [];
  if (missing.length > 0)
    throw new ApiProblem(
      'validation_failed',
      `The CSV lacks columns: ${missing.join(', ')}.`,
      missing.map((c) => ({ path: `body.${c}`, message: 'missing column' })),
    );
  if (records.length > limits.maxRows) throw new ApiProblem('payload_too_large', limits.tooMany);
  return records;
}

/**
 * A header naming a column twice: csv-parse would keep the last cell silently, so the file is
 * refused. The column is named when it looks like one; a file without a header would have a row
 * of personal data there, so anything else is named by its position.
 */
function distinctColumns(header: string[]): string[] {
  const seen = new Set<string>();
  header.forEach((column, i) => {
    if (!seen.has(column)) return seen.add(column);
    const name = /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(column) ? column : `column ${i + 1}`;
    throw new ApiProblem('validation_failed', `The CSV header names the column ${name} twice; keep one.`, [
      { path: `body.${name}`, message: 'duplicated column' },
    ]);
  });
  return header;
}
