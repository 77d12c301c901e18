/**
 * The paying agent's file formats (ISO 20022):
 *   - pain.001.001.09 (CustomerCreditTransferInitiationV09): our payout batch, one credit transfer
 *     per payable, one payment information block, debtor = the programme's account;
 *   - camt.054.001.08 (BankToCustomerDebitCreditNotificationV08): the agent's notification of
 *     what it booked or returned, read back by end-to-end id;
 *   - and the same two as CSV for people (and for agents that send CSV).
 * Amounts are KZT with two decimals written from integer tiyn (no floats on the way out or in).
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { PayoutBatchCreated } from '../../domain/settlement/events';

export const PAIN001_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09';
export const CAMT054_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.08';
const CURRENCY = 'KZT';
/** ISO 20022 Max140Text / Max35Text. */
const MAX_NAME = 140;
const MAX_ID = 35;

/** 123456 tiyn → "1234.56" (integer arithmetic only). */
export function kztAmount(tiyn: number): string {
  if (!Number.isSafeInteger(tiyn) || tiyn < 0) throw new Error(`invariant violated: ${tiyn} is not a non-negative integer of tiyn`);
  return `${Math.trunc(tiyn / 100)}.${String(tiyn % 100).padStart(2, '0')}`;
}

/** "1234.5" / "1234.56" / "1234" → tiyn; anything else (or more than two decimals) is undefined. */
export function parseKztAmount(text: string): number | undefined {
  const match = /^(\d{1,15})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
}

const text = (value: string, max: number) => value.slice(0, max);
/** xs:dateTime without fractional seconds, in UTC. */
const isoDateTime = (instant: string) => `${instant.slice(0, 19)}Z`;
const organisation = (bin: string) => ({ OrgId: { Othr: { Id: bin, SchmeNm: { Prtry: 'BIN' } } } });

/** The pain.001.001.09 document of a batch: `executionDate` is the requested execution day (local). */
export function pain001(batch: PayoutBatchCreated['data'], executionDate: string): string {
  const total = kztAmount(batch.totalTiyn);
  const document = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    Document: {
      '@_xmlns': PAIN001_NAMESPACE,
      CstmrCdtTrfInitn: {
        GrpHdr: {
          MsgId: text(batch.messageId, MAX_ID),
          CreDtTm: isoDateTime(batch.createdAt),
          NbOfTxs: batch.payments.length,
          CtrlSum: total,
          InitgPty: { Nm: text(batch.debtor.name, MAX_NAME), Id: organisation(batch.debtor.bin) },
        },
        PmtInf: {
          PmtInfId: text(batch.batchId, MAX_ID),
          PmtMtd: 'TRF',
          BtchBookg: 'false',
          NbOfTxs: batch.payments.length,
          CtrlSum: total,
          ReqdExctnDt: { Dt: executionDate },
          Dbtr: { Nm: text(batch.debtor.name, MAX_NAME), Id: organisation(batch.debtor.bin) },
          DbtrAcct: { Id: { IBAN: batch.debtor.iban }, Ccy: CURRENCY },
          DbtrAgt: { FinInstnId: { BICFI: batch.debtor.bic } },
          CdtTrfTxInf: batch.payments.map((payment) => ({
            PmtId: { InstrId: text(payment.endToEndId, MAX_ID), EndToEndId: text(payment.endToEndId, MAX_ID) },
            Amt: { InstdAmt: { '@_Ccy': CURRENCY, '#text': kztAmount(payment.amountTiyn) } },
            CdtrAgt: { FinInstnId: { BICFI: payment.payee.bic } },
            Cdtr: { Nm: text(payment.payee.name, MAX_NAME), Id: organisation(payment.payee.bin) },
            CdtrAcct: { Id: { IBAN: payment.payee.iban } },
            RmtInf: { Ustrd: text(`${payment.kind === 'shop_statement' ? 'Statement' : 'Canteen payment order'} ${payment.payableId}`, MAX_NAME) },
          })),
        },
      },
    },
  };
  return new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: true }).build(document);
}

export interface TransferResult {
  readonly endToEndId: string;
  readonly status: 'booked' | 'rejected';
  readonly amountTiyn: number;
  readonly bankReference?: string;
  readonly reason?: string;
  readonly at: string;
}

export class PayingAgentFileError extends Error {
  override readonly name = 'PayingAgentFileError';
}

const parser = new XMLParser({
  ignoreAttributes: false,
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => ['Ntfctn', 'Ntry', 'NtryDtls', 'TxDtls'].includes(name),
  // No entities, no DTDs: a confirmation file is data from outside.
  processEntities: false,
});

type Node = Record<string, unknown>;
const child = (node: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Node)[key] : undefined), node);
const textOf = (node: unknown): string | undefined =>
  typeof node === 'string'
    ? node
    : typeof node === 'object' && node !== null && typeof (node as Node)['#text'] === 'string'
      ? ((node as Node)['#text'] as string)
      : undefined;
const list = (node: unknown): unknown[] => (Array.isArray(node) ? node : node === undefined ? [] : [node]);

/**
 * The transfers a camt.054 notification reports as booked (entry status BOOK) or returned (a
 * return reason on the transaction). Pending entries are not results yet and are skipped.
 */
export function parseCamt054(xml: string): TransferResult[] {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new PayingAgentFileError('the file declares a DTD or entities; a camt.054 has none');
  let document: unknown;
  try {
    document = parser.parse(xml, true);
  } catch (error) {
    throw new PayingAgentFileError(`not well-formed XML: ${(error as Error).message.split('\n')[0]}`);
  }
  const root = child(document, 'Document', 'BkToCstmrDbtCdtNtfctn');
  if (!root) throw new PayingAgentFileError('not a camt.054 notification (no Document/BkToCstmrDbtCdtNtfctn)');
  const results: TransferResult[] = [];
  for (const notification of list(child(root, 'Ntfctn')))
    for (const entry of list(child(notification, 'Ntry'))) {
      const status = textOf(child(entry, 'Sts', 'Cd')) ?? textOf(child(entry, 'Sts'));
      if (status !== 'BOOK') continue;
      const at = textOf(child(entry, 'BookgDt', 'DtTm')) ?? textOf(child(entry, 'BookgDt', 'Dt')) ?? '';
      for (const details of list(child(entry, 'NtryDtls')))
        for (const transaction of list(child(details, 'TxDtls'))) results.push(transactionResult(transaction, at));
    }
  return results;
}

function transactionResult(transaction: unknown, at: string): TransferResult {
  const endToEndId = textOf(child(transaction, 'Refs', 'EndToEndId'));
  if (!endToEndId) throw new PayingAgentFileError('a transaction has no Refs/EndToEndId');
  const amountText = textOf(child(transaction, 'Amt')) ?? textOf(child(transaction, 'AmtDtls', 'TxAmt', 'Amt')) ?? '';
  const amountTiyn = parseKztAmount(amountText);
  if (amountTiyn === undefined) throw new PayingAgentFileError(`transaction ${endToEndId}: amount "${amountText}" is not KZT with at most two decimals`);
  const returned = child(transaction, 'RtrInf');
  const bankReference = textOf(child(transaction, 'Refs', 'AcctSvcrRef'));
  const reason = textOf(child(returned, 'Rsn', 'Cd')) ?? textOf(child(returned, 'AddtlInf'));
  return {
    endToEndId,
    status: returned ? 'rejected' : 'booked',
    amountTiyn,
    at: normaliseInstant(at),
    ...(bankReference ? { bankReference } : {}),
    ...(returned ? { reason: reason ?? 'returned' } : {}),
  };
}

function normaliseInstant(value: string): string {
  const parsed = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(parsed)) throw new PayingAgentFileError(`booking date "${value}" is not an ISO date or date-time`);
  return new Date(parsed).toISOString();
}

/** A camt.054 the simulated paying agent (and the tests) answer a batch with. */
export function camt054(input: { messageId: string; createdAt: string; account: string; results: readonly TransferResult[] }): string {
  const entries = input.results.map((result, index) => ({
    NtryRef: `${index + 1}`,
    Amt: { '@_Ccy': CURRENCY, '#text': kztAmount(result.amountTiyn) },
    CdtDbtInd: 'DBIT',
    Sts: { Cd: 'BOOK' },
    BookgDt: { DtTm: isoDateTime(result.at) },
    AcctSvcrRef: result.bankReference ?? `${input.messageId}-${index + 1}`,
    BkTxCd: { Prtry: { Cd: 'TRF' } },
    NtryDtls: {
      TxDtls: {
        Refs: { AcctSvcrRef: result.bankReference ?? `${input.messageId}-${index + 1}`, EndToEndId: result.endToEndId },
        Amt: { '@_Ccy': CURRENCY, '#text': kztAmount(result.amountTiyn) },
        CdtDbtInd: 'DBIT',
        ...(result.status === 'rejected' ? { RtrInf: { Rsn: { Cd: result.reason ?? 'NARR' } } } : {}),
      },
    },
  }));
  const document = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    Document: {
      '@_xmlns': CAMT054_NAMESPACE,
      BkToCstmrDbtCdtNtfctn: {
        GrpHdr: { MsgId: input.messageId, CreDtTm: isoDateTime(input.createdAt) },
        Ntfctn: { Id: input.messageId, CreDtTm: isoDateTime(input.createdAt), Acct: { Id: { IBAN: input.account } }, Ntry: entries },
      },
    },
  };
  return new XMLBuilder({ ignoreAttributes: false, format: true }).build(document);
}
