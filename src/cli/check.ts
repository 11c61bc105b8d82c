// `npm run check` (after the type-check): validates the flows, texts, routes and policy exactly as
// start-up does, and prints every problem with its file, step and reason.
import { buildEngine } from '../app.ts';
import { ConfigError, loadConfig } from '../config.ts';

try {
  const config = loadConfig();
  const engine = buildEngine({ ...config.paths, defaultLang: config.defaultLang });
  const steps = [...engine.flows.values()].reduce((n, f) => n + Object.keys(f.steps).length, 0);
  process.stdout.write(`flows ok: ${engine.flows.size} flows, ${steps} steps, ${Object.keys(engine.routes.intents).length} intents\n`);
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? '' : 'flow check failed: '}${(err as Error).message}\n`);
  process.exit(1);
}
