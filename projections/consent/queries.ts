import type { Pool, PoolClient } from '../../adapters/postgres/pool';

export type Queryable = Pick<Pool | PoolClient, 'query'>;
