/**
 * What the routes read, as one port. app/system.ts implements it over the read models
 * (projections/*) and the vault; routes never run SQL of a read model themselves, so a read
 * model's schema can change without touching the API.
 */
import type { ProjectionLag } from './metrics';

export type ReportFormat = 'json' | 'csv' | 'html';

/** A rendered report: JSON data, or a document (CSV / HTML) with its content type. */
export type Rendered = { readonly kind: 'json'; readonly data: unknown } | { readonly kind: 'document'; readonly contentType: string; readonly body: string };

export interface OutboundSms {
  readonly messageId: string;
  readonly caseId: string;
  readonly kind: string;
  readonly text: string;
  /** From the vault at pull time; the log never holds it. */
  readonly phone: string;
  readonly replyBy?: string;
  /** The language of the text ('ru' | 'kk'). */
  readonly language?: string;
}

export interface ListView {
  readonly listId: string;
  readonly source: 'sdu' | 'nobd';
  readonly program: string;
  readonly month: string;
  readonly rowCount: number;
  readonly processed: boolean;
  readonly accepted: number;
  readonly rejected: number;
  /** Meals: rows of pupils covered already who stay on the month's list (not returns). */
  readonly continued: number;
  readonly rows: readonly { readonly rowNo: number; readonly outcome: string; readonly caseStream?: string; readonly detail?: string }[];
}

export interface ListReturn {
  readonly rowNo?: number;
  readonly status?: string;
  readonly reason: string;
  readonly detail?: string;
  readonly familyId?: string;
  readonly personId?: string;
  readonly schoolId?: string;
  readonly city?: string;
  readonly caseId?: string;
  /** When the row ended. */
  readonly at?: string;
}

export interface ReadSide {
  /** Outbound SMS not yet reported as sent (or failed for good), oldest first. */
  pendingSms(limit: number): Promise<readonly OutboundSms[]>;
  /** A family's vouchers of both programs with their status and balances. */
  familyVouchers(familyId: string): Promise<unknown>;
  /** A family's history; `asOf` answers from the event log as it was at that instant. */
  familyHistory(familyId: string, options: { asOf?: string; audience: 'citizen' | 'auditor' }): Promise<unknown>;
  /** A received list and every row's outcome; undefined when no such list was received. */
  listView(source: 'sdu' | 'nobd', listId: string): Promise<ListView | undefined>;
  /** Rows returned to SDU/NOBD for a list: rejected rows and ended consent cases. */
  listReturns(source: 'sdu' | 'nobd', listId: string): Promise<readonly ListReturn[]>;
  tabel(schoolId: string, month: string, format: ReportFormat): Promise<Rendered>;
  dailyReport(schoolId: string, date: string, format: Exclude<ReportFormat, 'html'>): Promise<Rendered>;
  outcomes(filter: { program?: string; city?: string; month?: string }, format: Exclude<ReportFormat, 'html'>): Promise<Rendered>;
  projections(): Promise<readonly ProjectionLag[]>;
  /** Starts a rebuild; false when no read model has that name. */
  rebuild(name: string): Promise<boolean>;
  /** PNG / SVG of a QR token. */
  qrPng(token: string): Promise<Buffer>;
  qrSvg(token: string): Promise<string>;
}
