import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { CredentialStore } from './credential-store.js';

/** Changes to the credentials file within this are taken together (an editor writes in steps). */
export const credentialsSettleMs = 100;

/**
 * Reloads a credentials file whenever it changes (the CLI replaces it atomically, so the
 * folder is watched for its name), and on reload() (the process's SIGHUP handler calls it).
 * `onRevoked` gets the ids removed or given a new secret: their live connections must close.
 * A file that cannot be read is reported and the credentials stay as they were.
 */
export function watchCredentials(
  store: CredentialStore,
  onRevoked: (ids: string[]) => void,
  onError: (error: Error) => void,
): { reload(): void; close(): void } {
  const reload = () => {
    try {
      store.reload();
      const revoked = store.takeRevoked();
      if (revoked.length > 0) onRevoked(revoked);
    } catch (error) {
      onError(error as Error);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(store.path), (_, filename) => {
      if (filename !== basename(store.path)) return;
      clearTimeout(timer);
      timer = setTimeout(reload, credentialsSettleMs);
    });
    watcher.on('error', onError);
  } catch (error) {
    onError(error as Error); // no watch (the folder is missing): SIGHUP still reloads
  }
  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
