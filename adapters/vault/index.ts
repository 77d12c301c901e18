export * from './vault';
export * from './postgres-vault';
export * from './sealing';
