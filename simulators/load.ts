import type { Args } from './cli';
export async function runLoad(_args: Args): Promise<number> {
  throw new Error('load: not yet');
}
