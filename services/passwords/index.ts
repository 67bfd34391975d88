/** The username and password policy. */
export * from './policy';
