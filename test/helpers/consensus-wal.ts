// Drives a consensus core the way a host logs it (src/consensus/wal/wal.ts): every input is
// appended to the WAL before it is applied, and every PersistSignedState effect's message is
// appended as a `signed` entry. For the WAL tests (file-wal.test.ts, replay.test.ts), which
// then replay the log and compare with the live state.
import type {
  ConsensusCore,
  ConsensusState,
  Input,
  SignedStateRecord,
  Wal,
} from '../../src/consensus/index.js';

export interface LoggedRun {
  /** The core's state after the last input. */
  state: ConsensusState;
  /** The last signed-state record the core asked to persist (null if it signed nothing). */
  record: SignedStateRecord | null;
}

/**
 * Applies `inputs` in order from the core's initial state, logging to `wal` as a host does.
 * Effects other than PersistSignedState are not executed (a test looks at the state only).
 * @throws whatever `wal.append` throws (e.g. a closed FileWal).
 */
export function runLogged(core: ConsensusCore, wal: Wal, inputs: readonly Input[]): LoggedRun {
  let state = core.initialState(null);
  let record: SignedStateRecord | null = null;
  for (const input of inputs) {
    wal.append({ kind: 'input', input });
    const result = core.apply(state, input);
    state = result.state;
    for (const effect of result.effects) {
      if (effect.kind === 'PersistSignedState') {
        record = effect.record;
        wal.append({ kind: 'signed', message: effect.message });
      }
    }
  }
  return { state, record };
}
