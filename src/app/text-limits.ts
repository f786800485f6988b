/** Chat text longer than this is refused before it is stored (the wire format caps it too). @module */
export const MAX_TEXT_LENGTH = 16_000;
