import type { DefinitionKey } from '@durable/core'
import { sql, type RawBuilder } from 'kysely'

/**
 * A condition true when the run row `alias` was started with one of `definitions`: the same
 * workflow name, version and shape. A run from before shapes were recorded (`shape_hash` NULL)
 * matches any shape of its name and version.
 *
 * `alias` is a fixed name of ours, never user input. Each array is cast: PGlite serializes
 * parameters by their declared type.
 *
 * @internal
 */
export function definitionMatch(alias: string, definitions: readonly DefinitionKey[]): RawBuilder<unknown> {
  const run = sql.raw(alias)
  return sql`EXISTS (
    SELECT 1 FROM unnest(
      cast(${definitions.map((d) => d.name)} AS text[]),
      cast(${definitions.map((d) => d.version)} AS text[]),
      cast(${definitions.map((d) => d.shapeHash)} AS text[])
    ) AS d (name, version, shape_hash)
    WHERE d.name = ${run}.workflow_name AND d.version IS NOT DISTINCT FROM ${run}.workflow_version
      AND (${run}.shape_hash IS NULL OR d.shape_hash = ${run}.shape_hash)
  )`
}
