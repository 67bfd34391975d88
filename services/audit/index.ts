/** The append-only audit trail (Redis stream). */
export * from './audit-log';
