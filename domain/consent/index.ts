export * from './consent-case';
export * from './policy';
export * from './reply';
