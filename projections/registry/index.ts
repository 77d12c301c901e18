export { registryProjection, REGISTRY } from './projection';
export * from './queries';
