import { eventStoreContract } from './contract';
import { createMemoryEventStore } from './memory';

eventStoreContract('memory', async () => ({ store: createMemoryEventStore() }));
