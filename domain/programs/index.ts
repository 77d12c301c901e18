export { SCHOOL_MEALS, mealPriceTiyn, type SchoolMealsProgram } from './school-meals';
export { FOOD_VOUCHERS, memberVoucherTiyn, pilotCity, type FoodVouchersProgram, type PilotCity } from './food-vouchers';
export { FOOD_CATEGORIES, SAMPLE_CATALOGUE, SAMPLE_PRODUCTS, foodCategory, type FoodCategory } from './food-list';
