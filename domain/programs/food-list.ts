/**
 * Socially significant food products (перечень социально значимых продовольственных товаров,
 * order No. 166-НҚ of 11 May 2023, cited by seed 004 p. 3 and p. 2.3). The seeds cite the order
 * but do not list its products; the categories follow the order's list. Which products (GTINs of
 * the national goods catalogue, Национальный каталог товаров, seed 004 p. 2.16) belong to which
 * category is not program data: the operator publishes it as the product catalogue
 * (domain/catalogue/). The SAMPLE below is a demo fixture only (dev mode, demo, simulators, tests).
 */
import type { CatalogueProduct } from '../catalogue/events';
import { withCheckDigit } from '../catalogue/gtin';

export interface FoodCategory {
  readonly id: string;
  readonly nameRu: string;
  readonly nameKk: string;
  readonly unit: 'pcs' | 'g' | 'ml';
}

export const FOOD_CATEGORIES: readonly FoodCategory[] = [
  { id: 'wheat_flour', nameRu: 'Мука пшеничная первого сорта', nameKk: 'Бірінші сортты бидай ұны', unit: 'g' },
  { id: 'wheat_bread', nameRu: 'Хлеб пшеничный из муки первого сорта', nameKk: 'Бірінші сортты ұннан бидай наны', unit: 'pcs' },
  { id: 'pasta', nameRu: 'Рожки', nameKk: 'Мүйізше', unit: 'g' },
  { id: 'buckwheat', nameRu: 'Крупа гречневая', nameKk: 'Қарақұмық жармасы', unit: 'g' },
  { id: 'rice', nameRu: 'Рис шлифованный', nameKk: 'Ажарланған күріш', unit: 'g' },
  { id: 'potato', nameRu: 'Картофель', nameKk: 'Картоп', unit: 'g' },
  { id: 'carrot', nameRu: 'Морковь', nameKk: 'Сәбіз', unit: 'g' },
  { id: 'onion', nameRu: 'Лук репчатый', nameKk: 'Пияз', unit: 'g' },
  { id: 'cabbage', nameRu: 'Капуста белокочанная', nameKk: 'Ақ қауданды қырыққабат', unit: 'g' },
  { id: 'sugar', nameRu: 'Сахар-песок', nameKk: 'Қант құмы', unit: 'g' },
  { id: 'sunflower_oil', nameRu: 'Масло подсолнечное', nameKk: 'Күнбағыс майы', unit: 'ml' },
  { id: 'beef', nameRu: 'Говядина (лопаточно-грудная часть с костями)', nameKk: 'Сиыр еті (жауырын-төс бөлігі, сүйегімен)', unit: 'g' },
  { id: 'chicken', nameRu: 'Куриное мясо (окорочка)', nameKk: 'Тауық еті (сан еті)', unit: 'g' },
  { id: 'milk', nameRu: 'Молоко пастеризованное 2,5%', nameKk: 'Пастерленген сүт 2,5%', unit: 'ml' },
  { id: 'kefir', nameRu: 'Кефир 2,5%', nameKk: 'Кефир 2,5%', unit: 'ml' },
  { id: 'butter', nameRu: 'Масло сливочное несоленое', nameKk: 'Тұздалмаған сары май', unit: 'g' },
  { id: 'eggs', nameRu: 'Яйца куриные I категории', nameKk: 'I санатты тауық жұмыртқасы', unit: 'pcs' },
  { id: 'salt', nameRu: 'Соль поваренная', nameKk: 'Ас тұзы', unit: 'g' },
  { id: 'cottage_cheese', nameRu: 'Творог 5-9%', nameKk: 'Сүзбе 5-9%', unit: 'g' },
];

/**
 * The SAMPLE product catalogue, a demo fixture: one invented GTIN-13 per category (prefix 200 is
 * GS1's restricted-circulation range, never a real product), with a valid check digit. Dev mode
 * publishes it through the catalogue's real door when none is published (app/system.ts);
 * production never does.
 */
export const SAMPLE_PRODUCTS: readonly CatalogueProduct[] = FOOD_CATEGORIES.map((category, i) => ({
  gtin: withCheckDigit(`200000000${String(i + 1).padStart(3, '0')}`).padStart(14, '0'),
  categoryId: category.id,
  name: `${category.nameRu} (SAMPLE)`,
}));

/** The SAMPLE as GTIN-13 → category: the codes a demo till scans (tests and simulators pick from it). */
export const SAMPLE_CATALOGUE: Readonly<Record<string, string>> = Object.fromEntries(SAMPLE_PRODUCTS.map((p) => [p.gtin.slice(1), p.categoryId]));

const byId = new Map(FOOD_CATEGORIES.map((c) => [c.id, c]));

export function foodCategory(id: string): FoodCategory | undefined {
  return byId.get(id);
}
