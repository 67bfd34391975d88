/** Reset links, practice reset tokens and enrollment tokens (stored only as HMAC-SHA-256 digests keyed with SERVER_SECRET). */
export * from './token-service';
