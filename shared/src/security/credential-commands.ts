import type { Command } from 'commander';
import { parseLabelPairs, readSecretFromStdin } from './credential-input.js';
import type { CredentialStore } from './credential-store.js';

/** What differs between fogline-gateway's `devices` and fogline-cloud's `gateways`. */
export interface CredentialCommandsSpec<O extends object> {
  /** 'device' or 'gateway': in arguments, help and messages. */
  readonly noun: string;
  /** The id's field in what the commands print: deviceId or gatewayId. */
  readonly idField: string;
  /** Where the secret goes once printed, said after `add`. */
  readonly secretGoes: string;
  /** Who closes the connections of a changed or removed id, said in help. */
  readonly runningServer: string;
  /** Adds the CLI's common options (--config, ...) to a command. */
  readonly withCommon: (command: Command) => Command;
  /** The credentials file the command's options point at. */
  readonly store: (options: O) => CredentialStore;
  readonly fail: (error: unknown) => never;
}

/**
 * add, rotate, label and remove for one kind of credential, the same on the gateway and the
 * cloud: secrets generated and printed once, or imported from standard input and never
 * printed; a running server acts on the change at once (it watches the file).
 */
export function addCredentialCommands<O extends object>(group: Command, spec: CredentialCommandsSpec<O>): void {
  const { noun, idField, withCommon, store, fail } = spec;
  const Noun = noun[0].toUpperCase() + noun.slice(1);
  const run = (body: () => Promise<void> | void) =>
    Promise.resolve()
      .then(body)
      .catch((error) => fail(error));

  withCommon(group.command(`add <${idField}>`).description(`create a ${noun} and print its secret, once`))
    .option('--label <key=value...>', `labels of the ${noun} (site, model, ...)`)
    .option('--secret-stdin', `import the ${noun}'s existing secret from standard input instead of generating one`)
    .action((id: string, options: O & { label?: string[]; secretStdin?: boolean }) =>
      run(async () => {
        const labels = parseLabelPairs(options.label ?? []);
        const imported = options.secretStdin ? await readSecretFromStdin() : undefined;
        const secret = await store(options).add(id, labels, undefined, imported);
        console.log(JSON.stringify(imported ? { [idField]: id, labels } : { [idField]: id, secret, labels }));
        console.error(
          imported
            ? `${Noun} ${id} added with the secret given; it is stored only hashed.`
            : `${Noun} ${id} added. ${spec.secretGoes}: it is shown once and stored only hashed.`,
        );
      }),
    );

  withCommon(
    group
      .command(`rotate <${idField}>`)
      .description(
        `give a ${noun} a new secret and print it, once; the old one stops working and ${spec.runningServer} closes its connection`,
      ),
  )
    .option('--secret-stdin', 'take the new secret from standard input instead of generating one')
    .action((id: string, options: O & { secretStdin?: boolean }) =>
      run(async () => {
        const imported = options.secretStdin ? await readSecretFromStdin() : undefined;
        const secret = await store(options).rotate(id, imported);
        console.log(JSON.stringify(imported ? { [idField]: id } : { [idField]: id, secret }));
        console.error(`${Noun} ${id} has a new secret; the old one no longer works.`);
      }),
    );

  withCommon(
    group.command(`label <${idField}> [pairs...]`).description(`set labels (key=value) of a ${noun}, or remove them (--remove key)`),
  )
    .option('--remove <key...>', 'labels to remove')
    .action((id: string, pairs: string[], options: O & { remove?: string[] }) =>
      run(() => {
        const labels = store(options).relabel(id, parseLabelPairs(pairs, 'a label'), options.remove ?? []);
        console.log(JSON.stringify({ [idField]: id, labels }));
      }),
    );

  withCommon(group.command(`remove <${idField}>`).description(`remove a ${noun}; it can no longer connect`)).action(
    (id: string, options: O) =>
      run(() => {
        if (!store(options).remove(id)) throw new Error(`no ${noun} ${id}`);
        console.error(`${Noun} ${id} removed.`);
      }),
  );
}
