// `shroud contract check FILE...`: runs the exact upload validation the chain runs
// (validateContractCode, CONTRACT_ABI §6) on local files, so a contract author learns before
// paying for an upload whether the chain will accept it.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

import { validateContractCode, VmError } from '../vm/index.js';

/** One file's verdict. */
export type CheckResult =
  | { file: string; ok: true; codeHash: string; interfaceVersion: string; features: string[]; bytes: number }
  | { file: string; ok: false; code: string; error: string };

/** Validates one file as an upload would; never throws. */
export function checkContractFile(file: string): CheckResult {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    return { file, ok: false, code: 'READ_ERROR', error: `cannot read the file (${reason})` };
  }
  try {
    const code = validateContractCode(bytes);
    return {
      file,
      ok: true,
      codeHash: code.codeHash,
      interfaceVersion: code.interfaceVersion,
      features: code.features,
      bytes: code.wasm.length,
    };
  } catch (error) {
    if (error instanceof VmError) return { file, ok: false, code: error.code, error: error.message };
    throw error; // a bug in the validator, not a verdict: let it surface
  }
}

/** Adds `shroud contract ...` to the program. */
export function registerContractCommands(program: Command): void {
  const contract = program.command('contract').description('work with contract code');
  contract
    .command('check')
    .description('validate wasm contract files exactly as an upload to the chain would (gzip accepted)')
    .argument('<files...>', 'wasm (or gzipped wasm) files to check')
    .option('-o, --output <format>', 'output format: text or json', 'text')
    .addHelpText(
      'after',
      '\nPrints "FILE: ok" or "FILE: <CODE>: <reason>" per file (CODE is the VmError code).\n' +
        'Exit status: 0 if every file passes, 1 if any is rejected, 2 on bad usage.',
    )
    .action((files: string[], options: { output: string }) => {
      if (options.output !== 'text' && options.output !== 'json') {
        console.error(`shroud contract check: --output must be "text" or "json", got "${options.output}"`);
        process.exitCode = 2;
        return;
      }
      const results = files.map(checkContractFile);
      if (options.output === 'json') {
        console.log(JSON.stringify(results, null, 2));
      } else {
        for (const r of results) console.log(r.ok ? `${r.file}: ok` : `${r.file}: ${r.code}: ${r.error}`);
      }
      process.exitCode = results.every((r) => r.ok) ? 0 : 1;
    });
}
