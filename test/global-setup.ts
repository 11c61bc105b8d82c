// One redis-server for the whole test run, on a free loopback port. Tests get its URL with
// `inject('redisUrl')` and must use their own key prefix (or a database of their own), since
// test files run in parallel against it. Teardown is quiet: CI reads the last line of output.
import type { TestProject } from 'vitest/node';
import { startRedis } from './support/redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedis();
  project.provide('redisUrl', server.url);
  return async () => {
    await server.stop();
  };
}
