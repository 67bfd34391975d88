/** Rate limits and the security-questions lock, both enforced in Redis. */
export * from './limits';
export * from './security-lock';
