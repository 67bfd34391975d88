/** Patients' requests to the practice (token renewal, reactivation, reset token). */
export * from './request-queue';
