// `shroud keys add|list|show|delete`: the user's keys in the CLI keyring (keyring.ts).
import type { Command } from 'commander';
import { CryptoError, generateMnemonic } from '../crypto/index.js';
import { cliHome, Keyring, keyringBackend, type KeyInfo } from './keyring.js';
import { action, CliError, emit, note, outputFormat, parseUint, usageExits } from './output.js';
import { confirm, interactive, promptHidden, readPassphrase, readStdin } from './prompt.js';

export interface KeyringOptions {
  home?: string;
  keyringBackend?: string;
  passphraseFile?: string;
  output?: string;
}

/** Adds --home, --keyring-backend and --output to a command. */
export function keyringOptions(command: Command): Command {
  return command
    .option('--home <dir>', 'CLI home holding the keyring (default $SHROUD_HOME or ~/.shroud)')
    .option(
      '--keyring-backend <backend>',
      'file (encrypted, default; or $SHROUD_KEYRING_BACKEND) or test (plaintext)',
    )
    .option('--output <format>', 'json or text', 'text');
}

/** Adds --passphrase-file (the file keyring's passphrase for scripts). */
export function passphraseOption(command: Command): Command {
  return command.option(
    '--passphrase-file <file>',
    'read the keyring passphrase from a file (else $SHROUD_KEYRING_PASSPHRASE, else a prompt)',
  );
}

/** The keyring the options name. @throws {CliError} USAGE for a bad backend. */
export function openKeyring(options: KeyringOptions): Keyring {
  return new Keyring(cliHome(options.home), keyringBackend(options.keyringBackend));
}

function infoJson(info: KeyInfo) {
  return {
    name: info.name,
    address: info.address,
    public_key: info.publicKey,
    backend: info.backend,
    hd_path: `m/44'/529'/${info.account}'/0/${info.index}`,
  };
}

async function readMnemonic(): Promise<string> {
  const text = interactive() ? await promptHidden('Enter your mnemonic: ') : await readStdin();
  return text.trim().split(/\s+/).join(' ');
}

function hdNumber(text: string | undefined, name: string): number | undefined {
  return text === undefined ? undefined : Number(parseUint(text, name, 2n ** 31n - 1n));
}

/** Adds the `keys` commands to the program. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('manage your keys (accounts) in the local keyring');
  usageExits(keys);

  passphraseOption(
    keyringOptions(
      keys
        .command('add <name>')
        .description('create a key (its mnemonic is shown ONCE) or, with --recover, import one')
        .option('--recover', 'import an existing mnemonic (asked on a terminal, else read from stdin)')
        .option('--account <n>', "BIP44 account of m/44'/529'/account'/0/index", '0')
        .option('--index <n>', 'BIP44 address index', '0'),
    ),
  ).action(
    action(
      async (
        name: string,
        options: KeyringOptions & { recover?: boolean; account?: string; index?: string },
      ) => {
        const format = outputFormat(options.output);
        const keyring = openKeyring(options);
        const account = hdNumber(options.account, '--account');
        const index = hdNumber(options.index, '--index');
        // Check the name before asking for anything.
        keyring.assertAbsent(name);
        const mnemonic = options.recover === true ? await readMnemonic() : generateMnemonic(24);
        const passphrase =
          keyring.backend === 'file'
            ? await readPassphrase(options.passphraseFile, keyring.list().length === 0)
            : undefined;
        let info: KeyInfo;
        try {
          info = keyring.add(name, mnemonic, {
            ...(passphrase === undefined ? {} : { passphrase }),
            ...(account === undefined ? {} : { account }),
            ...(index === undefined ? {} : { index }),
          });
        } catch (error) {
          if (error instanceof CryptoError)
            throw new CliError('USAGE', 'that is not a valid BIP39 mnemonic (12 or 24 English words)');
          throw error;
        }
        const shown = options.recover === true ? {} : { mnemonic };
        emit(format, { ...infoJson(info), ...shown }, () => [
          `added key "${info.name}" (${info.backend} keyring)`,
          `address     ${info.address}`,
          `public key  ${info.publicKey}`,
          ...(options.recover === true
            ? []
            : [
                '',
                'Write this mnemonic down and keep it safe. It is the only way to recover the key,',
                'and it will not be shown again:',
                '',
                mnemonic,
              ]),
        ]);
      },
    ),
  );

  keyringOptions(keys.command('list').description('list the keys of the keyring')).action(
    action(async (options: KeyringOptions) => {
      const format = outputFormat(options.output);
      const list = openKeyring(options).list();
      emit(format, list.map(infoJson), () =>
        list.length === 0
          ? ['no keys yet: `shroud keys add NAME` (or --recover to import a mnemonic)']
          : list.map((k) => `${k.name.padEnd(16)} ${k.address}`),
      );
      await Promise.resolve();
    }),
  );

  keyringOptions(
    keys
      .command('show <name>')
      .description("show a key's address and public key")
      .option('--address', 'print only the address')
      .option('--pubkey', 'print only the public key (hex)'),
  ).action(
    action(async (name: string, options: KeyringOptions & { address?: boolean; pubkey?: boolean }) => {
      const format = outputFormat(options.output);
      if (options.address === true && options.pubkey === true)
        throw new CliError('USAGE', 'pass --address or --pubkey, not both');
      const info = openKeyring(options).show(name);
      const only = options.address === true ? info.address : options.pubkey === true ? info.publicKey : null;
      if (only !== null) emit(format, only, () => [only]);
      else
        emit(format, infoJson(info), () => [
          `name        ${info.name} (${info.backend} keyring)`,
          `address     ${info.address}`,
          `public key  ${info.publicKey}`,
        ]);
      await Promise.resolve();
    }),
  );

  keyringOptions(
    keys
      .command('delete <name>')
      .description('delete a key from the keyring (you can recover it only with its mnemonic)')
      .option('--yes', 'do not ask for confirmation (required when not on a terminal)'),
  ).action(
    action(async (name: string, options: KeyringOptions & { yes?: boolean }) => {
      const format = outputFormat(options.output);
      const keyring = openKeyring(options);
      const info = keyring.show(name);
      if (options.yes !== true) {
        if (!interactive()) throw new CliError('USAGE', 'pass --yes to delete a key without a terminal');
        if (!(await confirm(`delete key "${name}" (${info.address})?`)))
          throw new CliError('CANCELLED', 'not deleted');
      }
      keyring.delete(name);
      if (format === 'text') note(`deleted key "${name}"`);
      emit(format, { deleted: infoJson(info) }, () => []);
    }),
  );
}
