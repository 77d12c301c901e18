// How each figure is made: what it counts and from which events of the log. A click on a figure
// shows its entry. The event names are the catalogue's (domain/events.ts); a test holds every name
// here to the events the read model behind the figure handles, so a definition cannot name an event
// that does not count.
export const DEFINITIONS = {
  // ── pilot outcomes: people (consent cases) ─────────────────────────────────────────────
  eligible: {
    label: 'В списках',
    text: 'Дела согласия, открытые по принятым строкам списков: семьи из списков СДУ (продуктовые ваучеры, месяц списка) или ученики из списков НОБД (школьное питание, месяц открытия дела). Отклонённые строки не считаются.',
    events: ['ConsentCaseOpened'],
    read: 'outcomes',
  },
  smsSent: {
    label: 'SMS доставлено',
    text: 'Дела, по которым SMS-шлюз подтвердил отправку хотя бы одного сообщения.',
    events: ['SmsSent'],
    read: 'outcomes',
  },
  reminded: {
    label: 'Напоминаний',
    text: 'Дела, по которым было запрошено напоминание (нет ответа в срок).',
    events: ['SmsRequested'],
    read: 'outcomes',
  },
  consented: {
    label: 'Согласились',
    text: 'Дела, закрытые согласием: ответ кодом согласия на SMS (или после напоминания).',
    events: ['ConsentGiven'],
    read: 'outcomes',
  },
  refused: {
    label: 'Отказались',
    text: 'Дела, закрытые отказом: ответ кодом отказа на SMS.',
    events: ['ConsentRefused'],
    read: 'outcomes',
  },
  timedOut: {
    label: 'Не ответили',
    text: 'Дела, закрытые по истечении срока ответа (после напоминания).',
    events: ['ConsentTimedOut'],
    read: 'outcomes',
  },
  undeliverable: {
    label: 'SMS не доставлено',
    text: 'Дела, закрытые тем, что SMS о начале не удалось доставить ни одному представителю с телефоном (по порядку представителей, как в приказе): ответа ждать не от кого. Строка возвращается в СДУ/НОБД.',
    events: ['ConsentUndeliverable'],
    read: 'outcomes',
  },
  noPhone: {
    label: 'Нет телефона',
    text: 'Дела, закрытые сразу: ни у одного представителя нет номера в справочнике БМГ. Строка возвращается в СДУ/НОБД.',
    events: ['ConsentPhoneNotFound'],
    read: 'outcomes',
  },
  notRequired: {
    label: 'Без согласия (начальные классы)',
    text: 'Ученики начальных классов: по приказу 2026 года ваучер выдаётся без SMS-согласия.',
    events: ['ConsentNotRequired'],
    read: 'outcomes',
  },
  // ── pilot outcomes: vouchers ───────────────────────────────────────────────────────────
  issued: {
    label: 'Выдано ваучеров',
    text: 'Ваучеры, выданные по согласию: продуктовые — по одному на каждого члена семьи на месяц; школьное питание — один на ученика на учебный год (считается в месяце выдачи).',
    events: ['FoodVouchersIssued', 'MealVoucherIssued'],
    read: 'outcomes',
  },
  activated: {
    label: 'Активировано',
    text: 'Выданные ваучеры, которые родитель или получатель активировал в приложении.',
    events: ['FoodVoucherActivated', 'MealVoucherActivated'],
    read: 'outcomes',
  },
  used: {
    label: 'Использовано',
    text: 'Ваучеры, по которым была хотя бы одна оплаченная покупка (продуктовые) или хотя бы одно питание (школьные).',
    events: ['FoodPurchaseCaptured', 'MealServed'],
    read: 'outcomes',
  },
  lapsed: {
    label: 'Сгорело ваучеров',
    text: 'Продуктовые ваучеры, у которых в конце месяца сгорела сумма: неактивированный ваучер целиком или неизрасходованный остаток активированного.',
    events: ['FoodVouchersLapsed'],
    read: 'outcomes',
  },
  // ── pilot outcomes: money (integer tiyn, shown in tenge) ────────────────────────────────
  issuedTiyn: {
    label: 'Выдано, ₸',
    text: 'Сумма выданных продуктовых ваучеров: МРП месяца × коэффициент программы на каждого члена семьи.',
    events: ['FoodVouchersIssued'],
    read: 'outcomes',
  },
  activatedTiyn: {
    label: 'Активировано, ₸',
    text: 'Сумма выданных ваучеров, которые были активированы.',
    events: ['FoodVouchersIssued', 'FoodVoucherActivated'],
    read: 'outcomes',
  },
  usedTiyn: {
    label: 'Потрачено, ₸',
    text: 'Оплачено ваучерами в магазинах: подтверждённые покупки (списание удержания) по разнесению на ваучеры.',
    events: ['FoodPurchaseCaptured'],
    read: 'outcomes',
  },
  heldTiyn: {
    label: 'Удержано, ₸',
    text: 'Сумма открытых удержаний: покупка авторизована в магазине, но ещё не подтверждена, не отменена и не истекла.',
    events: ['FoodPurchaseAuthorized', 'FoodPurchaseCaptured', 'FoodPurchaseVoided', 'FoodHoldExpired'],
    read: 'outcomes',
  },
  lapsedTiyn: {
    label: 'Сгорело, ₸',
    text: 'Сгоревшие в конце месяца суммы: неактивированные ваучеры целиком и неизрасходованные остатки активированных.',
    events: ['FoodVouchersLapsed'],
    read: 'outcomes',
  },
  availableTiyn: {
    label: 'Доступно, ₸',
    text: 'Остаток на ваучерах: выдано − потрачено − удержано − сгорело (каждое движение денег сходится: выдано = потрачено + удержано + сгорело + доступно).',
    events: ['FoodVouchersIssued', 'FoodPurchaseCaptured', 'FoodPurchaseAuthorized', 'FoodVouchersLapsed'],
    read: 'outcomes',
  },
  goodsAmountTiyn: {
    label: 'Товары по категориям, ₸',
    text: 'Оплаченные ваучерами социально значимые товары (строки покупок из перечня), по категориям перечня; количество — в единицах категории (г, мл, шт).',
    events: ['FoodPurchaseCaptured'],
    read: 'outcomes',
  },
  // ── school meals ───────────────────────────────────────────────────────────────────────
  mealsServed: {
    label: 'Питаний',
    text: 'Записи питания, принятые от устройств столовых (одно питание на ученика в учебный день); в табеле — только полученные до его окончательной даты.',
    events: ['MealServed'],
    read: 'tabel',
  },
  pupilsFed: {
    label: 'Учеников питалось',
    text: 'Разные ученики, получившие хотя бы одно питание за месяц.',
    events: ['MealServed'],
    read: 'outcomes',
  },
  schools: {
    label: 'Школ',
    text: 'Школы, у учеников которых есть ваучеры школьного питания (из списков НОБД).',
    events: ['MealVoucherIssued'],
    read: 'tabel',
  },
  entitledPupils: {
    label: 'Учеников с ваучером',
    text: 'Ученики, чей ваучер был активен хотя бы в один момент месяца (они стоят в табеле, даже без питания).',
    events: ['MealVoucherIssued', 'MealVoucherActivated', 'MealVoucherExpired'],
    read: 'tabel',
  },
  amountDueTiyn: {
    label: 'К оплате по табелю, ₸',
    text: 'Питания табеля × цена питания региона. Поздние записи (после окончательной даты табеля) сюда не входят.',
    events: ['MealServed'],
    read: 'tabel',
  },
  lateMeals: {
    label: 'Поздних записей',
    text: 'Записи питания, полученные после того, как табель месяца стал окончательным (5-е число следующего месяца): показаны отдельно, в табель не добавляются.',
    events: ['MealServed'],
    read: 'tabel',
  },
  daysWithoutRecords: {
    label: 'Дней без записей',
    text: 'Учебные дни (до сегодняшнего), в которые у школы были активные ваучеры, но не пришло ни одной записи питания: устройство не синхронизировалось, столовая не работала или питание не отмечали.',
    events: ['MealVoucherActivated', 'MealServed'],
    read: 'tabel',
  },
  // ── operations ─────────────────────────────────────────────────────────────────────────
  maxLag: {
    label: 'Наибольшее отставание',
    text: 'Сколько событий журнала ещё не применила самая отстающая модель чтения (проекция).',
    events: [],
    read: 'runner',
  },
  smsDue: {
    label: 'SMS к отправке',
    text: 'Сообщения в очереди, которые шлюз может забрать сейчас (не отправлены, срок попытки наступил).',
    events: ['SmsRequested', 'SmsSent', 'SmsFailed'],
    read: 'sms_outbox',
  },
  smsFailureRate: {
    label: 'Ошибки доставки SMS (24 ч)',
    text: 'Неудачные попытки доставки / все сообщённые попытки за последние 24 часа (по отчётам шлюза о доставке).',
    events: ['SmsSent', 'SmsFailed'],
    read: 'sms_outbox',
  },
  deadlinesOverdue: {
    label: 'Просроченных сроков',
    text: 'Сроки (напоминания, таймауты, окончание месяца, удержания), которые уже наступили, но планировщик их ещё не отработал.',
    events: ['DeadlineScheduled', 'DeadlineFired'],
    read: 'deadlines',
  },
  errorsLastHour: {
    label: 'Ошибок API за час',
    text: 'Ответы API с кодом ошибки (problem+json) за последний час работы этого процесса, по кодам.',
    events: [],
    read: 'process',
  },
  listsReceived: {
    label: 'Списков получено',
    text: 'Списки СДУ и НОБД, принятые сервисом (каждая загрузка со своим listId).',
    events: ['EligibilityListReceived', 'ListRowAccepted', 'ListRowRejected', 'EligibilityListProcessed'],
    read: 'list_intake',
  },
};
