import { readFileSync } from 'node:fs';

/** Addresses only this machine can reach: there the stack's API may run without a token. */
const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** A token from NAME, or the file NAME_FILE names (the cloud reads the same variables). */
function fromEnvironment(env: NodeJS.ProcessEnv, name: string): string | undefined {
  if (env[name]) return env[name];
  const file = env[`${name}_FILE`];
  return file ? readFileSync(file, 'utf8').replace(/\r?\n$/, '') : undefined;
}

/**
 * The token the stack's own status line reads the API with. The cloud takes its tokens from
 * the same environment variables the stack was started with, so they never land in the
 * stack's config files. A stack whose listeners face the network without one is refused
 * before anything starts, as the cloud itself would refuse it.
 */
export function stackApiToken(host: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = fromEnvironment(env, 'FOGLINE_CLOUD_READ_TOKEN') ?? fromEnvironment(env, 'FOGLINE_CLOUD_ADMIN_TOKEN');
  if (token === undefined && !isLoopback(host))
    throw new Error(
      `--host was ${JSON.stringify(host)} with no API token, expected FOGLINE_CLOUD_READ_TOKEN and FOGLINE_CLOUD_ADMIN_TOKEN (16+ characters each) in the environment: the dashboard and API would be open to the network`,
    );
  return token;
}
