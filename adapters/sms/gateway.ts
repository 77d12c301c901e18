/**
 * The SMS gateway port (outbound) and the outbox dispatcher.
 *
 * Outbox design: deciders write SmsRequested; the `sms_outbox` read model lists messages that are
 * pending (requested, or failed with willRetry). The dispatcher takes pending messages, joins the
 * phone from the vault at send time (a forgotten person has no phone: reported failed), sends, and
 * reports the outcome through `recordSmsDelivery`, which writes SmsSent / SmsFailed into the case.
 * A retry re-offers the same message id: the gateway must treat the id as its idempotency key.
 */
import type { Logger } from '../log/logger';

export interface OutboundSms {
  readonly messageId: string;
  readonly phone: string;
  readonly text: string;
}
export type SendResult = { readonly ok: true; readonly gatewayRef: string } | { readonly ok: false; readonly reason: string };

export interface SmsGateway {
  send(sms: OutboundSms): Promise<SendResult>;
}

/** Records what was sent (tests, simulator); `fail` makes chosen phones fail. */
export function createMemorySmsGateway(options: { fail?: (sms: OutboundSms) => string | undefined } = {}): SmsGateway & { readonly sent: OutboundSms[] } {
  const sent: OutboundSms[] = [];
  return {
    sent,
    async send(sms) {
      const reason = options.fail?.(sms);
      if (reason) return { ok: false, reason };
      sent.push(sms);
      return { ok: true, gatewayRef: `mem-${sent.length}` };
    },
  };
}

/** Dev gateway: logs the message id and the text's length, never the phone or text (PII). */
export function createLoggingSmsGateway(logger: Logger): SmsGateway {
  let n = 0;
  return {
    async send(sms) {
      n += 1;
      logger.info({ messageId: sms.messageId, chars: sms.text.length }, 'sms sent by the logging gateway');
      return { ok: true, gatewayRef: `log-${n}` };
    },
  };
}
