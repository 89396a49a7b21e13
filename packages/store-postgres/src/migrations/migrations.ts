import type { Migration, MigrationProvider } from 'kysely'
import { runsAndJournal } from './0001-runs-and-journal.js'
import { signalsAndCancel } from './0002-signals-and-cancel.js'
import { roomForInPlaceUpdates } from './0003-room-for-in-place-updates.js'
import { definitionVersionsAndShapes } from './0004-definition-versions-and-shapes.js'
import { indexesForPrune } from './0005-indexes-for-prune.js'
import { flowControl } from './0006-flow-control.js'
import { schedules } from './0007-schedules.js'
import { runDeadlines } from './0008-run-deadlines.js'

/**
 * The store's migrations, by name, in order. Numbered, forward-only: never edit one that was
 * released; add the next number instead.
 *
 * @internal
 */
export function storeMigrations(schema: string): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-runs-and-journal': runsAndJournal(schema),
    '0002-signals-and-cancel': signalsAndCancel(schema),
    '0003-room-for-in-place-updates': roomForInPlaceUpdates(schema),
    '0004-definition-versions-and-shapes': definitionVersionsAndShapes(schema),
    '0005-indexes-for-prune': indexesForPrune(schema),
    '0006-flow-control': flowControl(schema),
    '0007-schedules': schedules(schema),
    '0008-run-deadlines': runDeadlines(schema),
  }
  return { getMigrations: async () => migrations }
}
