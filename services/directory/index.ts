/** The portal directory: patient and account records behind one interface. */
export * from './types';
export { ImportFileSchema, isValidDateOfBirth, type ImportFile, type ParsedImportFile } from './schema';
export { RedisPortalDirectory, type RedisPortalDirectoryOptions } from './redis-directory';
export { SECURITY_QUESTION_POOL, canonicalQuestion } from './securityQuestions';
