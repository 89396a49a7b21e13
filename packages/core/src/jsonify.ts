import type { Json } from './json.js'

/** True when `T` is `any`: `any` stays `any` rather than spreading into every branch below. */
type IsAny<T> = 0 extends 1 & T ? true : false

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type NotJson = bigint | symbol | Function
/** Objects that `toJsonText` refuses whole (they have no JSON form of their own). */
type RefusedObject = ReadonlyMap<unknown, unknown> | ReadonlySet<unknown> | WeakMap<object, unknown> | WeakSet<object> | RegExp | Error | ArrayBufferLike | ArrayBufferView

/** Keys JSON keeps for sure: string keys whose values can never be `undefined` or a function. */
type KeptKeys<T> = { [K in keyof T]-?: K extends symbol ? never : undefined extends T[K] ? never : T[K] extends NotJson ? never : K }[keyof T]
/** Keys JSON may drop: values that may be `undefined` (an optional property) but are not only that. */
type MaybeKeys<T> = {
  [K in keyof T]-?: K extends symbol
    ? never
    : undefined extends T[K]
      ? [Exclude<T[K], undefined>] extends [never]
        ? never
        : Exclude<T[K], undefined> extends NotJson
          ? never
          : K
      : never
}[keyof T]

type JsonifyObject<T> = { [K in KeptKeys<T>]: Jsonify<T[K]> } & { [K in MaybeKeys<T>]?: Jsonify<Exclude<T[K], undefined>> }
/** Flattens an intersection into one object type, so editors and type tests see plain properties. */
type Flat<T> = { [K in keyof T]: T[K] } & {}

/**
 * The type a value of type `T` has once stored as JSON and read back, as `JSON.stringify` and
 * then `JSON.parse` make it: what a step handler sees in `ctx.input`, `ctx.results` and a loop's
 * `until`. A `Date` (anything with `toJSON`) becomes what its `toJSON` returns — an ISO `string`
 * for a `Date`; properties that may be `undefined` become optional and function-valued ones
 * disappear; a top-level `undefined` (a step that returns nothing) is stored as `null`. Types that
 * are JSON already are left as they are.
 *
 * ### Example
 * ```ts
 * type Stored = Jsonify<{ at: Date; note?: string; done: undefined }> // { at: string; note?: string }
 * ```
 */
export type Jsonify<T> =
  IsAny<T> extends true
    ? any
    : unknown extends T
      ? T
      : T extends Json
        ? T
        : T extends { toJSON(...args: never[]): infer R }
          ? Jsonify<R>
          : T extends undefined | void
            ? null
            : T extends NotJson | RefusedObject
              ? never
              : T extends readonly unknown[]
                ? { -readonly [K in keyof T]: T[K] extends undefined | NotJson ? null : Jsonify<T[K]> }
                : T extends object
                  ? Flat<JsonifyObject<T>>
                  : T

/**
 * `T` itself when a value of type `T` can be stored as JSON; otherwise `T` with each part JSON
 * cannot hold — a `bigint`, a function, a symbol, a `Map`, a `Set` — turned to `never`, so that
 * `T` does not satisfy it. `Date` (anything with `toJSON`) and `undefined` properties are
 * allowed: see {@link Jsonify} for what a handler then sees.
 */
export type JsonInput<T> =
  IsAny<T> extends true
    ? any
    : unknown extends T
      ? T
      : T extends NotJson | RefusedObject
        ? never
        : T extends { toJSON(...args: never[]): unknown }
          ? T
          : T extends object
            ? { [K in keyof T]: K extends symbol ? never : JsonInput<T[K]> }
            : T

/**
 * The type of `defineWorkflow`'s name: `string` when `Input` can be stored as JSON, else a message
 * that says why — so that `defineWorkflow<{ amount: bigint }>('pay')` does not compile, as
 * `start` would refuse such an input with `NOT_SERIALIZABLE`.
 */
export type WorkflowName<Input> = [Input] extends [JsonInput<Input>]
  ? string
  : 'the input type of this workflow has a part JSON cannot hold (a bigint, function, symbol, Map, Set…): inputs are stored as JSON'
