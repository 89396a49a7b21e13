import type { IncomingMessage } from 'node:http'
import { whereJsonBreaks } from '../json-argument.js'
import { ApiError } from './api-error.js'

/**
 * Reads a request's JSON body: an object, `{}` when the body is empty. Refuses a body over
 * `maxBytes` (413, before reading all of it), malformed JSON (400 `INVALID_JSON`, saying where
 * it breaks) and JSON that is not an object (400 `INVALID_INPUT`).
 */
export async function readJsonObject(request: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(request.headers['content-length'])
  if (declared > maxBytes) throw tooLarge(maxBytes)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw tooLarge(maxBytes)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ApiError(400, 'INVALID_JSON', `the request body is not valid JSON: ${whereJsonBreaks(text, error)}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'INVALID_INPUT', 'the request body must be a JSON object, e.g. {"name":"approved","payload":{"by":"ann"}}')
  }
  return value as Record<string, unknown>
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`)
}
