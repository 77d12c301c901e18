/**
 * Seeded pilot populations: АСП families in the three food-voucher pilot cities, schools with
 * classes and pupils for school meals, and the BMG phone directory (who has a phone at all).
 * Deterministic: the same parameters and seed give the same people, IINs and phones.
 * Everything here is invented; IINs are valid (check digit) but belong to nobody.
 */
import { IIN_SERIAL_LIMIT, type Sex } from '../domain/shared/iin';
import { FOOD_VOUCHERS } from '../domain/programs/food-vouchers';
import { lastDayOfMonth, addMonths, type LocalDate, type Month } from '../domain/shared/calendar';
import type { PupilCategory, RepresentativeRole } from '../domain/events';
import { createRng, type Rng } from './rng';

export interface Person {
  readonly iin: string;
  readonly fullName: string;
  readonly sex: Sex;
  readonly birthDate: LocalDate;
}

/** How a list row is spoiled on purpose, so returns are exercised (the reason the ledger must give). */
export type FoodRowDefect = 'not_in_pilot_city' | 'invalid_iin' | 'not_on_asp_at_month_end' | 'duplicate_row';
export type MealsRowDefect = 'not_approved_by_head' | 'failed_sdu_reconciliation' | 'invalid_iin';

export interface FoodFamily {
  readonly familyId: string;
  /** Pilot city code (domain/programs/food-vouchers.ts), or another city for a not_in_pilot_city row. */
  readonly city: string;
  readonly region: string;
  /** members[0] is the head (the АСП recipient, who gets the SMS). */
  readonly members: readonly Person[];
  readonly headRole: RepresentativeRole;
  readonly defect?: FoodRowDefect;
}

export interface School {
  readonly schoolId: string;
  readonly name: string;
  readonly city: string;
  readonly region: string;
  /** Class names per grade, e.g. 5 → ['5А', '5Б']. */
  readonly classes: Readonly<Record<number, readonly string[]>>;
  readonly deviceIds: readonly string[];
}

export interface Representative extends Person {
  readonly role: RepresentativeRole;
}

export interface Pupil {
  readonly familyId: string;
  readonly schoolId: string;
  readonly className: string;
  readonly grade: number;
  readonly category: PupilCategory;
  readonly person: Person;
  /** Mother, father and/or guardian, as NOBD lists them. */
  readonly representatives: readonly Representative[];
  readonly defect?: MealsRowDefect;
}

export interface PopulationParams {
  readonly seed: number | string;
  readonly families: number;
  readonly pupils: number;
  /** Share of pupils per school (eligible ones); sets the number of schools. */
  readonly pupilsPerSchool: number;
  /** Share of food list rows spoiled on purpose (split over the defect kinds). */
  readonly foodListNoise: number;
  readonly mealsListNoise: number;
  /** BMG: share of family heads with a phone. */
  readonly foodHeadPhone: number;
  /** BMG for pupils' representatives: which of them have a phone. */
  readonly mealsPhones: { readonly both: number; readonly motherOnly: number; readonly fatherOnly: number; readonly none: number };
  /** City shares of the food pilot (Pavlodar is the largest). */
  readonly cityWeights: Readonly<Record<string, number>>;
}

export const DEFAULT_POPULATION: PopulationParams = {
  seed: 7,
  families: 20_000,
  pupils: 20_000,
  pupilsPerSchool: 150,
  foodListNoise: 0.01,
  mealsListNoise: 0.01,
  foodHeadPhone: 0.94,
  mealsPhones: { both: 0.6, motherOnly: 0.2, fatherOnly: 0.12, none: 0.08 },
  cityWeights: { pavlodar: 0.58, kokshetau: 0.34, akkol: 0.08 },
};

/** The flag-sized pupil population of a big region. */
export const LARGE_PUPILS = 300_000;

export interface Population {
  readonly params: PopulationParams;
  readonly families: readonly FoodFamily[];
  readonly schools: readonly School[];
  readonly pupils: readonly Pupil[];
  /** BMG: IIN → phone (E.164). A person absent here has no phone. */
  readonly phones: ReadonlyMap<string, string>;
}

const MALE_FIRST = ['Арман', 'Нурлан', 'Ерлан', 'Данияр', 'Асхат', 'Сергей', 'Алексей', 'Бауыржан', 'Айдос', 'Тимур', 'Руслан', 'Максим'];
const FEMALE_FIRST = ['Айгерим', 'Гульнара', 'Жанар', 'Динара', 'Салтанат', 'Елена', 'Ольга', 'Асель', 'Мадина', 'Алия', 'Карлыгаш', 'Наталья'];
const SURNAMES = ['Жумабаев', 'Ахметов', 'Серикбаев', 'Касымов', 'Нурланов', 'Иванов', 'Петров', 'Абдрахманов', 'Омаров', 'Бекмухамбетов', 'Сатпаев', 'Ким'];
/** АСП families: mostly a mother with children, often both parents, sometimes a guardian. */
const HEAD_ROLES: Readonly<Record<RepresentativeRole, number>> = { mother: 0.62, father: 0.3, guardian: 0.08 };
const CHILDREN = { 1: 0.2, 2: 0.3, 3: 0.27, 4: 0.15, 5: 0.06, 6: 0.02 } as const;
const CATEGORIES: Readonly<Record<PupilCategory, number>> = { asp_family: 0.6, low_income: 0.3, orphan_in_family: 0.1 };
const CYRILLIC_LETTERS = ['А', 'Б', 'В', 'Г'];
/** Cities outside the pilot, for not_in_pilot_city rows, and the school-meals regions' cities. */
const NON_PILOT_CITIES = ['astana', 'karaganda', 'shchuchinsk'];
const MEAL_CITIES: readonly { city: string; region: string }[] = [
  { city: 'pavlodar', region: 'pavlodar' },
  { city: 'ekibastuz', region: 'pavlodar' },
  { city: 'kokshetau', region: 'akmola' },
  { city: 'akkol', region: 'akmola' },
];

/**
 * Valid, unique IINs, fast: serials are handed out per (birth date, sex) from a counter, and the
 * check digit is computed on integers (domain/shared/iin.ts rules; the tests check every IIN with
 * isValidIin). 20,000 families must take well under a second.
 */
class IinFactory {
  private readonly nextSerial = new Map<number, number>();
  private readonly digits = new Int8Array(11);
  constructor(private readonly rng: Rng) {}
  /** `day` = days since 1900-01-01. */
  person(day: number, sex: Sex): Person {
    const [y, m, d] = civilFromDays(day);
    const centuryDigit = (Math.floor(y / 100) - 18) * 2 + (sex === 'male' ? 1 : 2);
    const key = day * 2 + (sex === 'male' ? 0 : 1);
    let serial = this.nextSerial.get(key) ?? this.rng.int(0, 4999);
    const yy = y % 100;
    const g = this.digits;
    g[0] = Math.floor(yy / 10);
    g[1] = yy % 10;
    g[2] = Math.floor(m / 10);
    g[3] = m % 10;
    g[4] = Math.floor(d / 10);
    g[5] = d % 10;
    g[6] = centuryDigit;
    for (let tries = 0; tries < IIN_SERIAL_LIMIT; tries++, serial = (serial + 1) % IIN_SERIAL_LIMIT) {
      g[7] = Math.floor(serial / 1000);
      g[8] = Math.floor(serial / 100) % 10;
      g[9] = Math.floor(serial / 10) % 10;
      g[10] = serial % 10;
      const check = checkDigit(g);
      if (check === undefined) continue;
      this.nextSerial.set(key, (serial + 1) % IIN_SERIAL_LIMIT);
      let iin = '';
      for (let i = 0; i < 11; i++) iin += g[i];
      iin += check;
      const birthDate = `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
      return { iin, sex, birthDate, fullName: fullName(this.rng, sex) };
    }
    throw new Error('invariant violated: more than 10,000 people born on one day');
  }
}

function checkDigit(g: Int8Array): number | undefined {
  let first = 0;
  for (let i = 0; i < 11; i++) first += g[i]! * (i + 1);
  first %= 11;
  if (first !== 10) return first;
  let second = 0;
  for (let i = 0; i < 11; i++) second += g[i]! * (((i + 2) % 11) + 1);
  second %= 11;
  return second === 10 ? undefined : second;
}

const DAY_OF_1900 = Date.UTC(1900, 0, 1) / 86_400_000;
/** Days since 1900-01-01 → [year, month, day] (Howard Hinnant's civil_from_days). */
function civilFromDays(day: number): [number, number, number] {
  const z = day + DAY_OF_1900 + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

function fullName(rng: Rng, sex: Sex): string {
  const surname = rng.pick(SURNAMES);
  return `${sex === 'female' ? `${surname}а` : surname} ${rng.pick(sex === 'female' ? FEMALE_FIRST : MALE_FIRST)}`;
}

/** A birth day (days since 1900-01-01) uniformly within the years given. */
function birthDateIn(rng: Rng, fromYear: number, toYear: number): number {
  const from = Date.UTC(fromYear, 0, 1) / 86_400_000 - DAY_OF_1900;
  const to = Date.UTC(toYear + 1, 0, 1) / 86_400_000 - DAY_OF_1900;
  return from + rng.int(0, to - from - 1);
}

/** A phone number per person, unique by construction (a counter under a mobile prefix). */
class PhoneBook {
  readonly phones = new Map<string, string>();
  private counter = 0;
  give(person: Person): void {
    this.counter++;
    this.phones.set(person.iin, `+7701${String(1_000_000 + this.counter).padStart(7, '0')}`);
  }
}

/** A spoiled 12-digit IIN: the check digit is off by one (the format passes, the domain refuses). */
export function spoilIin(iin: string): string {
  return iin.slice(0, 11) + String((Number(iin[11]) + 1) % 10);
}

export function generatePopulation(overrides: Partial<PopulationParams> = {}): Population {
  const params: PopulationParams = { ...DEFAULT_POPULATION, ...overrides };
  const root = createRng(params.seed);
  const iins = new IinFactory(root.fork('iin'));
  const book = new PhoneBook();
  const families = generateFamilies(params, root.fork('families'), iins, book);
  const { schools, pupils } = generateSchools(params, root.fork('schools'), iins, book);
  return { params, families, schools, pupils, phones: book.phones };
}

function generateFamilies(params: PopulationParams, rng: Rng, iins: IinFactory, book: PhoneBook): FoodFamily[] {
  const families: FoodFamily[] = [];
  for (let i = 0; i < params.families; i++) {
    const familyId = `fam-${String(i + 1).padStart(6, '0')}`;
    const defect: FoodRowDefect | undefined = rng.chance(params.foodListNoise)
      ? rng.pick<FoodRowDefect>(['not_in_pilot_city', 'invalid_iin', 'not_on_asp_at_month_end', 'duplicate_row'])
      : undefined;
    const city = defect === 'not_in_pilot_city' ? rng.pick(NON_PILOT_CITIES) : rng.weighted(params.cityWeights);
    const region = FOOD_VOUCHERS.pilotCities.find((c) => c.code === city)?.region ?? 'other';
    const headRole = rng.weighted(HEAD_ROLES);
    const head = iins.person(
      birthDateIn(rng, 1972, 2001),
      headRole === 'father' ? 'male' : headRole === 'mother' ? 'female' : rng.pick<Sex>(['male', 'female']),
    );
    const members: Person[] = [head];
    if (headRole !== 'guardian' && rng.chance(0.55)) members.push(iins.person(birthDateIn(rng, 1972, 2001), head.sex === 'female' ? 'male' : 'female'));
    const children = rng.weighted(CHILDREN);
    for (let c = 0; c < Number(children); c++) members.push(iins.person(birthDateIn(rng, 2008, 2025), rng.pick<Sex>(['male', 'female'])));
    if (rng.chance(params.foodHeadPhone)) book.give(head);
    if (members.length > 1 && rng.chance(0.7)) book.give(members[1]!);
    families.push({ familyId, city, region, members, headRole, ...(defect ? { defect } : {}) });
  }
  return families;
}

function generateSchools(params: PopulationParams, rng: Rng, iins: IinFactory, book: PhoneBook): { schools: School[]; pupils: Pupil[] } {
  const schoolCount = params.pupils === 0 ? 0 : Math.max(1, Math.ceil(params.pupils / params.pupilsPerSchool));
  const schools: School[] = [];
  for (let s = 0; s < schoolCount; s++) {
    const place = MEAL_CITIES[s % MEAL_CITIES.length]!;
    const schoolId = `school-${place.city}-${String(s + 1).padStart(4, '0')}`;
    const classes: Record<number, string[]> = {};
    for (let grade = 1; grade <= 11; grade++) classes[grade] = CYRILLIC_LETTERS.slice(0, rng.int(1, 3)).map((l) => `${grade}${l}`);
    // Bigger schools have a second canteen device.
    const devices = params.pupilsPerSchool > 300 || rng.chance(0.3) ? 2 : 1;
    schools.push({
      schoolId,
      name: `Школа-гимназия №${s + 1}, ${place.city}`,
      city: place.city,
      region: place.region,
      classes,
      deviceIds: Array.from({ length: devices }, (_, d) => `dev-${schoolId}-${d + 1}`),
    });
  }
  const pupils: Pupil[] = [];
  for (let p = 0; p < params.pupils; p++) {
    const school = schools[p % schoolCount]!;
    const grade = rng.int(1, 11);
    const className = rng.pick(school.classes[grade]!);
    const category = rng.weighted(CATEGORIES);
    // Age matches the grade: a first-grader is 6–7 in the 2025–2026 school year.
    const birthYear = 2025 - 6 - grade + 1 - rng.int(0, 1);
    const person = iins.person(birthDateIn(rng, birthYear, birthYear), rng.pick<Sex>(['male', 'female']));
    const representatives: Representative[] = [];
    if (category === 'orphan_in_family') {
      const guardian = { ...iins.person(birthDateIn(rng, 1960, 1995), rng.pick<Sex>(['male', 'female'])), role: 'guardian' as const };
      representatives.push(guardian);
      if (!rng.chance(params.mealsPhones.none)) book.give(guardian);
    } else {
      const mother = { ...iins.person(birthDateIn(rng, 1975, 2002), 'female'), role: 'mother' as const };
      const father = rng.chance(0.8) ? { ...iins.person(birthDateIn(rng, 1970, 2000), 'male'), role: 'father' as const } : undefined;
      representatives.push(mother);
      if (father) representatives.push(father);
      const pattern = rng.weighted(params.mealsPhones);
      if (pattern === 'both' || pattern === 'motherOnly') book.give(mother);
      if (father && (pattern === 'both' || pattern === 'fatherOnly')) book.give(father);
    }
    const defect: MealsRowDefect | undefined = rng.chance(params.mealsListNoise)
      ? rng.pick<MealsRowDefect>(['not_approved_by_head', 'failed_sdu_reconciliation', 'invalid_iin'])
      : undefined;
    pupils.push({
      familyId: `mfam-${String(p + 1).padStart(7, '0')}`,
      schoolId: school.schoolId,
      className,
      grade,
      category,
      person,
      representatives,
      ...(defect ? { defect } : {}),
    });
  }
  return { schools, pupils };
}

/** АСП on the last day of the month before the reporting month (seed 004 p. 2.2). */
export function aspDateFor(month: Month): LocalDate {
  return lastDayOfMonth(addMonths(month, -1));
}
