/**
 * The projection registry: every read model the service runs, in one list the composition root
 * owns (migrations, the runner, `rebuild <model>`, /v1/ops/projections all come from it).
 */
import type { Projection } from '../projections/projection';
import { nobdDailyProjection } from '../projections/nobd-daily/projection';
import { tabelProjection } from '../projections/tabel/projection';
import { balancesProjection } from '../projections/balances/projection';
import { outcomesProjection } from '../projections/outcomes/projection';
import { familyHistoryProjection } from '../projections/family-history/projection';
import { consentProjections } from '../projections/consent';
import { figuresProjection } from '../projections/figures/projection';
import { registryProjection } from '../projections/registry/projection';
import { exchangeStatusesProjection } from '../projections/exchanges/projection';
import { feedbackOutboxProjection } from '../projections/feedback/projection';
import { foodDailyProjection } from '../projections/daily-reports/food-activity';
import { canteenRosterProjection } from '../projections/canteen-roster/projection';
import { settlementProjection } from '../projections/settlement/projection';
import { listIntakeProjection } from '../projections/list-intake/projection';

/** The vouchers' and meals' read models: NOBD daily, табель, balances, outcomes, family history, the figures' events (docs/EVIDENCE.md), the partner exchanges' statuses; the counterpart registry and the canteen roster. */
export const ledgerProjections: readonly Projection[] = [
  nobdDailyProjection,
  tabelProjection,
  balancesProjection,
  outcomesProjection,
  familyHistoryProjection,
  figuresProjection,
  registryProjection,
  exchangeStatusesProjection,
  feedbackOutboxProjection,
  foodDailyProjection,
  canteenRosterProjection,
];

/** Every read model: the ledger's, consent's (SMS outbox, case routing, deadline queue), list intake and money out's. */
export const allProjections: readonly Projection[] = [...ledgerProjections, ...consentProjections, listIntakeProjection, settlementProjection];
