/**
 * табель exports: a CSV grid (pupil × school day) and a printable HTML sheet for the social
 * pedagogue to sign. Pupils appear by pseudonymous id; the caller may pass display names it
 * looked up in the vault (this module never sees personal data on its own).
 */
import { writeCsv } from '../../adapters/csv/write';
import { formatKzt } from '../../domain/shared/money';
import type { Tabel } from './queries';

export interface TabelPresentation {
  readonly schoolName?: string;
  readonly displayName?: (pupilId: string) => string | undefined;
}

/** Row label of the totals row in the CSV. */
export const TABEL_TOTAL_ROW = 'pupils_fed';

/**
 * Columns: `pupil_id, display_name, <YYYY-MM-DD> per school day…, total`; one row per pupil, then
 * a `pupils_fed` row (pupils fed per day; total = the month's meal count).
 */
export function tabelCsv(t: Tabel, presentation: TabelPresentation = {}): string {
  const rows = t.pupils.map((p) => [p.pupilId, presentation.displayName?.(p.pupilId) ?? '', ...t.days.map((d) => p.meals[d] ?? 0), p.total]);
  rows.push([TABEL_TOTAL_ROW, '', ...t.days.map((d) => t.fedPerDay[d] ?? 0), t.mealCount]);
  return writeCsv(['pupil_id', 'display_name', ...t.days, 'total'], rows);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STATUS_LABEL: Record<Tabel['status'], string> = {
  in_progress: 'Месяц не завершён / Ай аяқталмаған',
  available: 'Предварительный / Алдын ала',
  final: 'Окончательный / Түпкілікті',
};

export function tabelHtml(t: Tabel, presentation: TabelPresentation = {}): string {
  const school = escapeHtml(presentation.schoolName ?? t.schoolId);
  const head = t.days.map((d) => `<th>${escapeHtml(d.slice(8))}</th>`).join('');
  const body = t.pupils
    .map((p, i) => {
      const name = presentation.displayName?.(p.pupilId);
      const who = escapeHtml(p.pupilId) + (name ? `<br><small>${escapeHtml(name)}</small>` : '');
      const cells = t.days.map((d) => `<td>${p.meals[d] ? '✓' : ''}</td>`).join('');
      return `<tr><td>${i + 1}</td><td class="who">${who}</td>${cells}<td>${p.total}</td></tr>`;
    })
    .join('\n');
  const fed = t.days.map((d) => `<td>${t.fedPerDay[d] ?? 0}</td>`).join('');
  const late = t.lateMealCount
    ? `<p class="late">Поступило после закрытия табеля (не включено) / Табель жабылғаннан кейін түскен (енгізілмеген): ${t.lateMealCount}</p>`
    : '';
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Табель ${school} ${t.month}</title>
<style>
body{font-family:sans-serif;font-size:11px} table{border-collapse:collapse} th,td{border:1px solid #444;padding:2px 4px;text-align:center}
td.who{text-align:left} .sign{margin-top:32px;display:flex;gap:64px} .sign div{border-top:1px solid #000;padding-top:4px;width:260px}
@media print{@page{size:landscape}}
</style></head><body>
<h1>Табель учёта питания / Тамақтануды есепке алу табелі</h1>
<p>Школа / Мектеп: <b>${school}</b> · Регион / Өңір: ${escapeHtml(t.region ?? '—')} · Месяц / Ай: <b>${escapeHtml(t.month)}</b> · Статус / Мәртебе: ${STATUS_LABEL[t.status]}</p>
<table>
<thead><tr><th>№</th><th>Учащийся / Оқушы</th>${head}<th>Итого / Барлығы</th></tr></thead>
<tbody>
${body}
<tr><td></td><td class="who"><b>Питалось / Тамақтанды</b></td>${fed}<td><b>${t.mealCount}</b></td></tr>
</tbody></table>
<p>Количество питаний / Тамақтану саны: <b>${t.mealCount}</b> · Цена / Бағасы: ${escapeHtml(formatKzt(t.mealPriceTiyn))} · К оплате / Төленуге тиіс: <b>${escapeHtml(formatKzt(t.amountDueTiyn))}</b></p>
${late}
<div class="sign"><div>Социальный педагог / Әлеуметтік педагог</div><div>Директор школы / Мектеп директоры</div><div>Представитель столовой / Асхана өкілі</div></div>
</body></html>
`;
}
