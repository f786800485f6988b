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
export * from './wire-types';
export { encodeWire } from './wire-encode';
export { decodeWire, messageIdOf } from './wire-decode';
