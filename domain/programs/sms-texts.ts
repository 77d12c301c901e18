/**
 * The SMS texts of the orders' annexes, verbatim (types and rendering: ./sms.ts). The test beside
 * this file cuts each text out of the seed and compares them.
 */
import { PUPIL_NAME, RECIPIENT_NAME, type ProgramSms, type SmsTemplates } from './sms';

/**
 * Seed 000, annex to appendix 1 («Запрос к услугополучателю для получения его согласия …»), verbatim.
 * The seeds give these texts in Russian only (seed 001 is a second, PDF-extracted copy of the same
 * Russian order, not its Kazakh text), so a recipient asked in Kazakh gets the Russian text until a
 * Kazakh one is added here. The repeat SMS (appendix 1 p. 10: «повторное SMS-сообщение») repeats
 * the start SMS: the annex gives it no text of its own.
 */
const REQUEST_RU = [
  `Уважаемый (ая) ${RECIPIENT_NAME}!`,
  `Вашему ребенку ${PUPIL_NAME} полагается бесплатное питание в общеобразовательной школе.`,
  'Для получения бесплатного питания отправьте СМС с текстом: 3#1. Если Вы не согласны введите 3#2 либо проигнорируйте данное сообщение. Ответить необходимо в течение 3 календарных дней.',
  'При отправке текста 3#1 Вы подтверждаете свое согласие на сбор и обработку общедоступных персональных данных и персональных данных ограниченного доступа, необходимых для оказания государственной услуги "Предоставление бесплатного и льготного питания отдельным категориям обучающихся и воспитанников в общеобразовательных школах" в соответствии со статьей 8 Закона Республики Казахстан "О персональных данных и их защите".',
  'Настоящее согласие действует в период оказания указанной государственной услуги. Отмечаем об отсутствии передачи персональных данных третьим лицам и трансграничной передачи.',
  'В случае возникновения вопросов можете обратиться в Call-центр по номеру 1414. Звонок бесплатный.',
].join('\n');

export const SCHOOL_MEALS_SMS: ProgramSms = {
  defaultLanguage: 'ru',
  byLanguage: {
    ru: {
      request: REQUEST_RU,
      reminder: REQUEST_RU,
      confirmed:
        'Ваше согласие на получение бесплатного питания обработано положительно. Для получения цифрового ваучера Вам необходимо зарегистрироваться в приложении "Социальный кошелек" в мобильном приложении электронного правительства eGov mobile перейдя по ссылке https://egovmobile.page.link/socwallet.',
      refused: 'Вы отказались от получения услуги.',
    },
  },
};

/**
 * Seed 004 (Russian) and seed 003 (Kazakh), the annex to the algorithm, verbatim: the start SMS and
 * the reply to a consent. The annex has no reply to a refusal, so none is sent; the repeat SMS (p. 20:
 * «повторное SMS-сообщение») repeats the start SMS. The seed leaves the information phone blank
 * («по номеру телефона _________»): it is the program parameter `informationPhone`.
 * One character differs from seed 003: its consent reply closes the annex's quotation right after
 * the link («…/socwallet" сілтемесі арқылы…»), which would end the link in the SMS; the quotation
 * mark is left out (the test drops the same one from the seed).
 */
export function foodSms(informationPhone: string): ProgramSms {
  const link = 'https://egovmobile.page.link/socwallet';
  return {
    defaultLanguage: 'ru',
    byLanguage: {
      ru: foodTemplates(
        [
          'Уважаемый пользователь!',
          'Вашей семье доступна скидка на социально значимые продовольственные товары в виде ваучера.',
          'Согласие или отказ на обработку персональных данных осуществляется следующей комбинацией: 21*1 означает – "ДА", 21*2 означает – "НЕТ".',
          `Для получения детальной информации необходимо обратиться по номеру телефона ${informationPhone}`,
        ].join('\n'),
        `Ваше согласие на получение ваучера в "социальном кошельке" на социально значимые продовольственные товары обработано положительно. Для получения ваучера Вам необходимо зарегистрироваться в мобильном приложении eGov mobile перейдя по ссылке ${link}`,
      ),
      kk: foodTemplates(
        [
          'Құрметті пайдаланушы!',
          'Сіздің отбасыңызға әлеуметтік маңызы бар азық-түлік тауарларына ваучер түрінде жеңілдік бар.',
          'Дербес деректерді өңдеуге келісім немесе бас тарту мынадай комбинациямен жүзеге асырылады: 21*1 – "ИӘ", 21*2 – "ЖОҚ" дегенді білдіреді.',
          `Толық ақпарат алу үшін ${informationPhone} нөмірі бойынша хабарласу қажет`,
        ].join('\n'),
        `"Әлеуметтік әмияннан" әлеуметтік маңызы бар азық-түлік тауарларына ваучер алу келісіміңіз сәтті өңделді. Ваучерді алу үшін ${link} сілтемесі арқылы eGov mobile мобильді қосымшасына тіркелу қажет.`,
      ),
    },
  };
}

const foodTemplates = (request: string, confirmed: string): SmsTemplates => ({ request, reminder: request, confirmed });
