/**
 * Keys in the order a DynamoDB Query returns them: by code unit, which is the table's byte order
 * for the ASCII keys the pipeline writes. For the in-memory twins of the stores and for anything
 * that must order keys as the table does (never `localeCompare`: it follows a language's rules).
 */
export const inKeyOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
