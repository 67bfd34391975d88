/** Patients' requests to the practice (token renewal, reactivation, reset token, enrollment). */
export * from './request-queue';
