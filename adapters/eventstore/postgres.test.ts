import { freshDatabase } from '../../test/pg';
import { eventStoreContract } from './contract';
import { createPostgresEventStore } from './postgres';

eventStoreContract('postgres', async () => {
  const db = await freshDatabase();
  return { store: createPostgresEventStore(db.pool), dispose: db.drop };
});
