/**
 * App messages: what peers say to each other inside secure frames, typed and versioned
 * (DESIGN.md "Layers: app protocol"; docs/protocol-app.md §4).
 *
 * Layout: version(1)=1 ‖ type(1) ‖ headerLength(4, u32 BE) ‖ header(JSON object, UTF-8) ‖ tail.
 * Small fields go in the JSON header; bulk bytes go raw in the tail (chat text as UTF-8 — no
 * JSON escaping blow-up — the invite proof, and later file chunks).
 *
 * Decoding is strict and canonical: every field is checked for type and size, unknown fields
 * are refused, and the bytes must be exactly what {@link encodeWire} produces for the decoded
 * message, so one message has one encoding. New fields therefore come as new type codes
 * (or a new version), never as extra keys in an old type.
 *
 * This module is the entry point: the types, limits and type codes are in `wire-types.ts`, the
 * encoder in `wire-encode.ts`, the decoder in `wire-decode.ts`.
 * @module
 */
export type { DecodeWireResult, InviteRefusal, WireErrorCode, WireMessage } from './wire-types';
export {
  FEATURES_CHECK_BYTES,
  FILE_KEY_BYTES,
  MAX_CHAT_TEXT_BYTES,
  MAX_HELLO_NAME_BYTES,
  MAX_KX_BYTES,
  MAX_TRANSFER_WIRE_BYTES,
  MAX_WIRE_BYTES,
  MESSAGE_ID_RE,
  SESSION_ID_RE,
  SESSION_KEM_KEY_BYTES,
  STREAM_RE,
  TRANSFER_WIRE_OVERHEAD,
  WIRE_TYPE_CODES,
  WIRE_VERSION,
} from './wire-types';
export { encodeWire } from './wire-encode';
export { decodeWire, messageIdOf } from './wire-decode';
