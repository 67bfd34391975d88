/** Reset links, practice reset tokens and enrollment tokens (stored only as sha256 digests). */
export * from './token-service';
