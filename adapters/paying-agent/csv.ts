/**
 * The payout batch as CSV for people (the same transfers as its pain.001), and the paying agent's
 * confirmation as CSV: `end_to_end_id,status,amount_kzt,bank_reference,reason,booked_at` with
 * status `booked` or `rejected`, one row per transfer.
 */
import { parse } from 'csv-parse/sync';
import type { PayoutBatchCreated } from '../../domain/settlement/events';
import { kztAmount, parseKztAmount, PayingAgentFileError, type TransferResult } from './iso20022';

export const CONFIRMATION_COLUMNS = ['end_to_end_id', 'status', 'amount_kzt', 'bank_reference', 'reason', 'booked_at'] as const;
const MAX_ROWS = 100_000;

export function batchRows(batch: PayoutBatchCreated['data']): string[][] {
  return [
    [
      'batch_id',
      'message_id',
      'end_to_end_id',
      'payable_id',
      'kind',
      'attempt',
      'payee_name',
      'payee_bin',
      'payee_iban',
      'payee_bic',
      'amount_kzt',
      'amount_tiyn',
    ],
    ...batch.payments.map((p) => [
      batch.batchId,
      batch.messageId,
      p.endToEndId,
      p.payableId,
      p.kind,
      String(p.attempt),
      p.payee.name,
      p.payee.bin,
      p.payee.iban,
      p.payee.bic,
      kztAmount(p.amountTiyn),
      String(p.amountTiyn),
    ]),
  ];
}

/** Rows of a confirmation CSV; a row that cannot be read names its line and what to fix. */
export function parseConfirmationCsv(text: string): TransferResult[] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false, to: MAX_ROWS + 1 }) as string[][];
  } catch (error) {
    throw new PayingAgentFileError(`not a readable CSV: ${(error as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw new PayingAgentFileError('the file is empty');
  const missing = CONFIRMATION_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) throw new PayingAgentFileError(`the header lacks ${missing.join(', ')} (expected ${CONFIRMATION_COLUMNS.join(',')})`);
  const duplicated = header.find((column, index) => header.indexOf(column) !== index);
  if (duplicated) throw new PayingAgentFileError(`the header names ${duplicated} twice`);
  if (rows.length > MAX_ROWS) throw new PayingAgentFileError(`more than ${MAX_ROWS} rows; split the file`);
  const at = (row: string[], column: (typeof CONFIRMATION_COLUMNS)[number]) => row[header.indexOf(column)] ?? '';
  return rows.map((row, index) => {
    const line = index + 2;
    const status = at(row, 'status');
    if (status !== 'booked' && status !== 'rejected') throw new PayingAgentFileError(`line ${line}: status "${status}" is neither booked nor rejected`);
    const amountTiyn = parseKztAmount(at(row, 'amount_kzt'));
    if (amountTiyn === undefined) throw new PayingAgentFileError(`line ${line}: amount_kzt "${at(row, 'amount_kzt')}" is not KZT with at most two decimals`);
    const booked = Date.parse(at(row, 'booked_at'));
    if (Number.isNaN(booked)) throw new PayingAgentFileError(`line ${line}: booked_at "${at(row, 'booked_at')}" is not an ISO date-time`);
    const endToEndId = at(row, 'end_to_end_id');
    if (!endToEndId) throw new PayingAgentFileError(`line ${line}: end_to_end_id is empty`);
    const bankReference = at(row, 'bank_reference');
    const reason = at(row, 'reason');
    return { endToEndId, status, amountTiyn, at: new Date(booked).toISOString(), ...(bankReference ? { bankReference } : {}), ...(reason ? { reason } : {}) };
  });
}
